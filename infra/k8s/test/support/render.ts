import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { overlayDir, type Overlay } from './paths';

/** A rendered Kubernetes object, as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

const KUBECTL_HINT =
  'kubectl was not found on PATH. These checks render the manifests with `kubectl kustomize` (kubectl 1.27 or ' +
  'newer bundles kustomize 5): install it, e.g. `sudo apt-get install -y kubectl` from the Kubernetes apt ' +
  'repository (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/), or download the binary from ' +
  'https://dl.k8s.io/release/stable.txt → https://dl.k8s.io/release/<version>/bin/linux/amd64/kubectl.';

/** `kubectl kustomize <dir>`: the YAML an overlay deploys. Throws (never skips) when kubectl is missing. */
export function kustomize(dir: string): string {
  try {
    return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') throw new Error(KUBECTL_HINT);
    throw new Error(`kubectl kustomize ${dir} failed:\n${failure.stderr ?? failure.message}`);
  }
}

/** Parses a multi-document YAML stream; a document that fails to parse fails the check. */
export function parseObjects(yamlText: string, origin: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((document, index) => {
      if (document.errors.length > 0) {
        throw new Error(`${origin}, document ${index}: ${document.errors.map((e) => e.message).join('; ')}`);
      }
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

const cache = new Map<Overlay, K8sObject[]>();

/** The objects an overlay renders to (cached per test file). */
export function render(overlay: Overlay): K8sObject[] {
  let objects = cache.get(overlay);
  if (!objects) {
    objects = parseObjects(kustomize(overlayDir(overlay)), `overlays/${overlay}`);
    cache.set(overlay, objects);
  }
  return objects;
}

export const describeObject = (object: K8sObject): string => `${object.kind}/${object.metadata.name}`;

export function objectsOfKind<T = K8sObject>(objects: K8sObject[], kind: string): (K8sObject & T)[] {
  return objects.filter((object) => object.kind === kind) as (K8sObject & T)[];
}

/** The one object of `kind` named `name`; fails the check when it is missing. */
export function findObject<T = K8sObject>(objects: K8sObject[], kind: string, name: string): K8sObject & T {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not in the render`);
  return found as K8sObject & T;
}
