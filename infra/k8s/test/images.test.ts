import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DOCKER_DIR, OVERLAYS, REPO_ROOT, type Overlay } from './support/paths';
import {
  copiesOf,
  environmentOf,
  execForm,
  last,
  lastWorkdir,
  readDockerfile,
  runs,
  type Stage,
} from './support/dockerfile';
import { render } from './support/render';
import { workloads } from './support/workloads';

/** Each image: the workspace it packages. */
const IMAGES: Record<string, string> = {
  'ticketing-auth': 'auth',
  'ticketing-tickets': 'tickets',
  'ticketing-orders': 'orders',
  'ticketing-payments': 'payments',
  'ticketing-expiration': 'expiration',
  'ticketing-stripe-emulator': 'infra/stripe-emulator',
  'ticketing-client': 'client',
};
const NODE_IMAGE = 'node:24-bookworm-slim';

interface SkaffoldArtifact {
  image: string;
  context?: string;
  docker?: { dockerfile?: string; target?: string };
  sync?: { manual?: { src: string; dest: string; strip?: string }[] };
}
interface SkaffoldPipeline {
  build?: {
    artifacts?: SkaffoldArtifact[];
    local?: Record<string, unknown>;
    googleCloudBuild?: Record<string, unknown>;
  };
  manifests?: { kustomize?: { paths?: string[] } };
  deploy?: Record<string, unknown>;
}
interface SkaffoldConfig extends SkaffoldPipeline {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  profiles?: (SkaffoldPipeline & { name: string })[];
}

const skaffold = parse(fs.readFileSync(path.join(REPO_ROOT, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;
const profile = (name: string) => {
  const found = skaffold.profiles?.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`skaffold.yaml has no profile ${name}`);
  return found;
};
const workspaces = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
).workspaces;
const startScript = (workspace: string): string[] =>
  (
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, workspace, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    }
  ).scripts.start.split(/\s+/);
const dockerfileOf = (image: string) => path.join(DOCKER_DIR, `${image.replace(/^ticketing-/, '')}.Dockerfile`);

/**
 * The skaffold/v4beta13 fields this repository may use, by path (a subset of the published schema,
 * https://skaffold.dev/docs/references/yaml/?version=v4beta13): a key outside it fails, so a typo or a field
 * of another schema version cannot slip through. Add a field here only after checking the schema.
 */
const SKAFFOLD_FIELDS: Record<string, string[]> = {
  '': ['apiVersion', 'kind', 'metadata', 'build', 'manifests', 'deploy', 'profiles'],
  metadata: ['name'],
  build: ['artifacts', 'local', 'googleCloudBuild', 'tagPolicy'],
  'build.artifacts[]': ['image', 'context', 'docker', 'sync'],
  'build.artifacts[].docker': ['dockerfile', 'target', 'buildArgs'],
  'build.artifacts[].sync': ['manual', 'infer'],
  'build.artifacts[].sync.manual[]': ['src', 'dest', 'strip'],
  'build.local': ['push', 'useBuildkit', 'concurrency'],
  'build.googleCloudBuild': ['projectId', 'machineType', 'timeout', 'concurrency', 'region'],
  manifests: ['kustomize'],
  'manifests.kustomize': ['paths'],
  deploy: ['kubectl'],
  'deploy.kubectl': [],
  'profiles[]': ['name', 'activation', 'build', 'manifests', 'deploy'],
};

function unknownSkaffoldFields(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => unknownSkaffoldFields(item, `${at}[]`));
  if (value === null || typeof value !== 'object') return [];
  const schemaPath = at.replace(/^profiles\[\]\./, '');
  const allowed = SKAFFOLD_FIELDS[schemaPath];
  if (!allowed) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    allowed.includes(key)
      ? unknownSkaffoldFields(child, at === '' ? key : `${at}.${key}`)
      : [`${at === '' ? '' : `${at}.`}${key}`],
  );
}

describe('skaffold.yaml', () => {
  it('is a Config of the published schema skaffold/v4beta13, with only fields of that schema', () => {
    expect(skaffold.apiVersion).toBe('skaffold/v4beta13');
    expect(skaffold.kind).toBe('Config');
    expect(unknownSkaffoldFields(skaffold)).toEqual([]);
  });

  it('the field check catches a field skaffold does not have', () => {
    expect(unknownSkaffoldFields({ build: { artifacts: [{ image: 'x', dockerfile: 'y' }] } })).toEqual([
      'build.artifacts[].dockerfile',
    ]);
  });

  it('deploys with kustomize: dev by default, prod in the cloud profile', () => {
    expect(skaffold.manifests?.kustomize?.paths).toEqual(['infra/k8s/overlays/dev']);
    expect(skaffold.deploy).toEqual({ kubectl: {} });
    expect(profile('cloud').manifests?.kustomize?.paths).toEqual(['infra/k8s/overlays/prod']);
    expect(profile('dev-gateway-api').manifests?.kustomize?.paths).toEqual(['infra/k8s/overlays/dev-gateway-api']);
    expect(profile('prod-gateway-api').manifests?.kustomize?.paths).toEqual(['infra/k8s/overlays/prod-gateway-api']);
    for (const candidate of skaffold.profiles ?? []) {
      for (const overlay of candidate.manifests?.kustomize?.paths ?? []) {
        expect(fs.existsSync(path.join(REPO_ROOT, overlay, 'kustomization.yaml'))).toBe(true);
      }
    }
  });

  it('local: builds into the local daemon without pushing; cloud: Google Cloud Build', () => {
    expect(profile('local').build?.local?.push).toBe(false);
    expect(profile('cloud').build?.googleCloudBuild).toBeDefined();
    expect(profile('cloud').build?.local).toBeUndefined();
  });

  const pipelines: [string, SkaffoldArtifact[], Overlay][] = [
    ['default (dev loop)', skaffold.build?.artifacts ?? [], 'dev'],
    ['cloud', profile('cloud').build?.artifacts ?? [], 'prod'],
  ];

  describe.each(pipelines)('%s artifacts', (_name, artifacts, overlay) => {
    it('build every image the overlay deploys, and nothing else, from the repository root', () => {
      const deployed = new Set(
        workloads(render(overlay)).flatMap((workload) =>
          (workload.spec.template.spec?.containers ?? []).map((container) => container.image),
        ),
      );
      const built = artifacts.map((artifact) => artifact.image);
      const ours = [...deployed].filter((image): image is string => image?.startsWith('ticketing-') ?? false);
      expect(built.sort()).toEqual(ours.sort());
      for (const artifact of artifacts) {
        expect([artifact.image, artifact.context]).toEqual([artifact.image, '.']);
        expect(artifact.docker?.dockerfile).toBe(path.relative(REPO_ROOT, dockerfileOf(artifact.image)));
        expect(fs.existsSync(path.join(REPO_ROOT, artifact.docker!.dockerfile!))).toBe(true);
      }
    });

    it(
      overlay === 'dev'
        ? 'Node services: the dev stage, syncing their src/**/*.ts to /work (what dev-watch.sh compiles)'
        : 'production images: the final stage, no sync',
      () => {
        const devWatch = fs.readFileSync(path.join(DOCKER_DIR, 'dev-watch.sh'), 'utf8');
        expect(devWatch).toMatch(/work="\$\{WORK_ROOT:-\/work\}"/);
        for (const artifact of artifacts) {
          const workspace = IMAGES[artifact.image]!;
          if (overlay !== 'dev' || artifact.image === 'ticketing-client') {
            expect([artifact.image, artifact.docker?.target, artifact.sync]).toEqual([
              artifact.image,
              undefined,
              undefined,
            ]);
            continue;
          }
          expect([artifact.image, artifact.docker?.target]).toEqual([artifact.image, 'dev']);
          expect(artifact.sync?.manual).toEqual([{ src: `${workspace}/src/**/*.ts`, dest: '/work' }]);
          const stages = readDockerfile(dockerfileOf(artifact.image));
          const dev = stages.find((stage) => stage.name === 'dev');
          expect(execForm(last(dev!, 'CMD'))).toEqual(['sh', '/usr/local/lib/dev-watch.sh', workspace]);
        }
      },
    );
  });
});

describe.each(Object.entries(IMAGES))('%s Dockerfile', (image, workspace) => {
  const stages = () => readDockerfile(dockerfileOf(image));
  const final = (): Stage => stages().at(-1)!;
  const stageNamed = (name: string | undefined) => stages().find((stage) => stage.name === name);

  it(`is multi-stage on ${NODE_IMAGE}, the final stage running as the node user`, () => {
    expect(stages().length).toBeGreaterThanOrEqual(3);
    for (const stage of stages()) {
      expect([stage.name, stage.base === NODE_IMAGE || stages().some((other) => other.name === stage.base)]).toEqual([
        stage.name,
        true,
      ]);
    }
    expect(final().base).toBe(NODE_IMAGE);
    expect(last(final(), 'USER')?.args).toBe('node');
  });

  it("its final CMD runs the package's start script, from the package folder, on a file the stage copies", () => {
    const start = startScript(workspace);
    expect(lastWorkdir(final())).toBe(`/app/${workspace}`);
    expect(execForm(last(final(), 'CMD'))).toEqual(start);
    expect(last(final(), 'ENTRYPOINT')).toBeUndefined();
    const entry = path.posix.resolve(`/app/${workspace}`, start[1]!);
    const copied = copiesOf(final()).some(
      (copy) => entry === copy.destination || entry.startsWith(`${copy.destination}/`),
    );
    expect([entry, copied]).toEqual([entry, true]);
  });

  it('listens on every interface in a container (its default, for a laptop, is 127.0.0.1): the probes reach it', () => {
    // The client's standalone Next.js server listens on HOSTNAME; every other image's config reads HOST.
    const variable = workspace === 'client' ? 'HOSTNAME' : 'HOST';
    const running = [final(), stageNamed('dev')].filter((stage): stage is Stage => stage !== undefined);
    for (const stage of running) {
      expect([stage.name, environmentOf(stages(), stage)[variable]]).toEqual([stage.name, '0.0.0.0']);
    }
  });

  it('installs from every workspace manifest and the lockfile (npm resolves the whole workspace map)', () => {
    const manifests = new Set(stages().flatMap((stage) => copiesOf(stage).flatMap((copy) => copy.sources)));
    for (const file of ['package.json', 'package-lock.json', ...workspaces.map((dir) => `${dir}/package.json`)]) {
      expect([file, manifests.has(file)]).toEqual([file, true]);
    }
  });

  it('keeps only production dependencies in the final stage', () => {
    expect(runs(final()).filter((command) => /\bnpm\b/.test(command))).toEqual([]);
    for (const copy of copiesOf(final()).filter((candidate) => candidate.from)) {
      const source = stageNamed(copy.from);
      const lineage: Stage[] = [];
      for (let stage = source; stage; stage = stageNamed(stage.base)) lineage.push(stage);
      const installs = lineage.flatMap(runs).filter((command) => /\bnpm (install|ci)\b/.test(command));
      const prodOnly = installs.length > 0 && installs.every((command) => /--omit=dev\b/.test(command));
      // From a stage with every dependency, only build output may be copied.
      const buildOutput = copy.sources.every((source) => /\/(dist|\.next\/standalone)$/.test(source));
      expect([copy.from, copy.sources, prodOnly || buildOutput]).toEqual([copy.from, copy.sources, true]);
    }
  });

  it('builds its workspace', () => {
    const commands = stages().flatMap(runs);
    if (workspace === 'client') {
      expect(commands).toContain('npm run build --workspace client');
    } else {
      expect(commands).toContain(`npx tsc -b ${workspace}`);
      expect(commands).toContain(`npm ci --omit=dev --workspace ${workspace}`);
    }
  });

  it('copies the committed SQL migrations where migrations-folder.ts looks for them', () => {
    const hasMigrations = fs.existsSync(path.join(REPO_ROOT, workspace, 'src', 'db', 'migrations-folder.ts'));
    const copy = copiesOf(final()).find((candidate) => candidate.sources.includes(`${workspace}/src/db/migrations`));
    if (!hasMigrations) {
      expect(copy).toBeUndefined();
      return;
    }
    const folder = fs.readFileSync(path.join(REPO_ROOT, workspace, 'src', 'db', 'migrations-folder.ts'), 'utf8');
    expect(folder).toMatch(/path\.resolve\(__dirname, '\.\.', '\.\.', 'src', 'db', 'migrations'\)/);
    expect(copy?.destination).toBe(`/app/${workspace}/src/db/migrations`);
    expect(
      fs.readdirSync(path.join(REPO_ROOT, workspace, 'src', 'db', 'migrations')).some((file) => file.endsWith('.sql')),
    ).toBe(true);
  });
});

describe('.dockerignore', () => {
  const patterns = fs
    .readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it("keeps the host's dependencies, build output and stale TypeScript build info out of the context", () => {
    for (const pattern of ['**/node_modules', '**/dist', '**/.next', '**/*.tsbuildinfo', '.git', '.env', '**/.env']) {
      expect(patterns).toContain(pattern);
    }
  });

  it('keeps in what the Dockerfiles copy', () => {
    for (const pattern of patterns) {
      expect(['package.json', 'package-lock.json', 'tsconfig.base.json', 'infra/docker', '**/src']).not.toContain(
        pattern,
      );
    }
  });
});

it('every image of the repository is listed here and in skaffold.yaml', () => {
  const dockerfiles = fs.readdirSync(DOCKER_DIR).filter((file) => file.endsWith('.Dockerfile'));
  expect(dockerfiles.map((file) => `ticketing-${file.replace(/\.Dockerfile$/, '')}`).sort()).toEqual(
    Object.keys(IMAGES).sort(),
  );
  expect((skaffold.build?.artifacts ?? []).map((artifact) => artifact.image).sort()).toEqual(
    Object.keys(IMAGES).sort(),
  );
});

it('the dev overlays are the ones skaffold dev deploys', () => {
  expect(OVERLAYS.filter((overlay) => overlay.startsWith('dev'))).toEqual(['dev', 'dev-gateway-api']);
});
