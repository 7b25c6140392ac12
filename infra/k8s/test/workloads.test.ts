import fs from 'node:fs';
import path from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { isProd, OVERLAYS, REPO_ROOT } from './support/paths';
import { describeObject, findObject, objectsOfKind, render, type K8sObject } from './support/render';
import type { ITopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';
import {
  appDeployments,
  containerPortNumber,
  containersOf,
  postgresClusters,
  workloads,
  type PostgresCluster,
  type Workload,
} from './support/workloads';

/** The ConfigMap a workload mounts at `mountPath`, by volume. */
function mountedConfigMap(objects: K8sObject[], workload: Workload, mountPath: string): Record<string, string> {
  const [container] = containersOf(workload);
  const mount = container?.volumeMounts?.find((candidate) => candidate.mountPath === mountPath);
  const volume = workload.spec.template.spec?.volumes?.find((candidate) => candidate.name === mount?.name);
  const name = volume?.configMap?.name;
  const found = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === name);
  if (!found) throw new Error(`${describeObject(workload)} mounts no ConfigMap at ${mountPath}`);
  return (found as K8sObject & { data: Record<string, string> }).data;
}

/** The labels the CloudNativePG operator puts on every pod of a Cluster, beside its own. */
const inheritedLabels = (cluster: PostgresCluster): Record<string, string> =>
  (cluster.spec as { inheritedMetadata?: { labels?: Record<string, string> } }).inheritedMetadata?.labels ?? {};

const SERVICES = ['auth', 'tickets', 'orders', 'payments', 'expiration'];
const APPS = [...SERVICES, 'client'];

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  const objects = () => render(overlay);

  it('deploys the five services and the client (and the Stripe emulator in dev only)', () => {
    const names = appDeployments(objects()).map((workload) => workload.metadata.name);
    expect(names.sort()).toEqual(isProd(overlay) ? [...APPS].sort() : [...APPS, 'stripe-emulator'].sort());
  });

  describe('every app container', () => {
    const each = (check: (workload: Workload, container: IContainer) => void) => {
      for (const workload of appDeployments(objects())) {
        const containers = containersOf(workload);
        expect(containers.length).toBe(1);
        check(workload, containers[0]!);
      }
    };
    const probeTarget = (container: IContainer, probe: IProbe | undefined) => ({
      path: probe?.httpGet?.path,
      port: containerPortNumber(container, probe?.httpGet?.port),
    });

    it('is probed at /readyz (readiness) and /healthz (liveness, startup) on the port it listens on', () => {
      each((workload, container) => {
        const port = Number(container.env?.find((variable) => variable.name === 'PORT')?.value);
        expect(container.ports?.map((candidate) => candidate.containerPort)).toEqual([port]);
        expect([workload.metadata.name, probeTarget(container, container.readinessProbe)]).toEqual([
          workload.metadata.name,
          { path: '/readyz', port },
        ]);
        expect([workload.metadata.name, probeTarget(container, container.livenessProbe)]).toEqual([
          workload.metadata.name,
          { path: '/healthz', port },
        ]);
        expect([workload.metadata.name, probeTarget(container, container.startupProbe)]).toEqual([
          workload.metadata.name,
          { path: '/healthz', port },
        ]);
      });
    });

    it('is scraped by Prometheus at /metrics on the port it listens on when it is a service (the five; not the client or the emulator)', () => {
      each((workload, container) => {
        const annotations = workload.spec.template.metadata?.annotations ?? {};
        const scraped = {
          scrape: annotations['prometheus.io/scrape'],
          port: annotations['prometheus.io/port'],
          path: annotations['prometheus.io/path'],
        };
        const port = container.env?.find((variable) => variable.name === 'PORT')?.value;
        expect([workload.metadata.name, scraped]).toEqual([
          workload.metadata.name,
          SERVICES.includes(workload.metadata.name)
            ? { scrape: 'true', port, path: '/metrics' }
            : { scrape: undefined, port: undefined, path: undefined },
        ]);
      });
    });

    it('runs from an image skaffold builds (ticketing-<name>)', () => {
      each((workload, container) => expect(container.image).toBe(`ticketing-${workload.metadata.name}`));
    });
  });

  describe('every container of every workload (apps and data stores)', () => {
    const all = () =>
      workloads(objects()).flatMap((workload) =>
        containersOf(workload).map((container) => ({ workload, container, pod: workload.spec.template.spec! })),
      );

    it('is non-root with a read-only root filesystem, no privilege escalation and no capabilities', () => {
      for (const { workload, container, pod } of all()) {
        const where = `${describeObject(workload)}/${container.name}`;
        expect([where, pod.securityContext?.runAsNonRoot, container.securityContext?.runAsNonRoot]).toEqual([
          where,
          true,
          true,
        ]);
        expect([where, (pod.securityContext?.runAsUser ?? 0) > 0]).toEqual([where, true]);
        expect([where, pod.securityContext?.seccompProfile?.type]).toEqual([where, 'RuntimeDefault']);
        expect([where, container.securityContext?.readOnlyRootFilesystem]).toEqual([where, true]);
        expect([where, container.securityContext?.allowPrivilegeEscalation]).toEqual([where, false]);
        expect([where, container.securityContext?.capabilities?.drop]).toEqual([where, ['ALL']]);
        expect([where, container.securityContext?.capabilities?.add]).toEqual([where, undefined]);
        expect([where, pod.automountServiceAccountToken]).toEqual([where, false]);
      }
    });

    it('has resource requests and limits for cpu and memory', () => {
      for (const { workload, container } of all()) {
        const where = `${describeObject(workload)}/${container.name}`;
        for (const kind of ['requests', 'limits'] as const) {
          expect([where, kind, Object.keys(container.resources?.[kind] ?? {}).sort()]).toEqual([
            where,
            kind,
            ['cpu', 'memory'],
          ]);
        }
      }
    });

    it('has readiness and liveness probes', () => {
      for (const { workload, container } of all()) {
        expect([describeObject(workload), Boolean(container.readinessProbe && container.livenessProbe)]).toEqual([
          describeObject(workload),
          true,
        ]);
      }
    });

    it('mounts only volumes its pod defines', () => {
      for (const { workload, container, pod } of all()) {
        const volumes = new Set([
          ...(pod.volumes ?? []).map((volume) => volume.name),
          ...(
            (workload.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? []
          ).map((claim) => claim.metadata.name),
        ]);
        for (const mount of container.volumeMounts ?? []) {
          expect([describeObject(workload), mount.name, volumes.has(mount.name)]).toEqual([
            describeObject(workload),
            mount.name,
            true,
          ]);
        }
      }
    });

    it('spreads pods with matchLabelKeys that are not also in the labelSelector (the API rejects that)', () => {
      for (const { workload, pod } of all()) {
        for (const constraint of pod.topologySpreadConstraints ?? []) {
          const selectorKeys = [
            ...Object.keys(constraint.labelSelector?.matchLabels ?? {}),
            ...(constraint.labelSelector?.matchExpressions ?? []).map((expression) => expression.key),
          ];
          const both = (constraint.matchLabelKeys ?? []).filter((key) => selectorKeys.includes(key));
          expect([describeObject(workload), both]).toEqual([describeObject(workload), []]);
        }
      }
    });
  });

  it('gives the Next server a writable cache (emptyDir) under its standalone folder', () => {
    const client = findObject<Workload>(objects(), 'Deployment', 'client');
    const [container] = containersOf(client);
    const cache = container?.volumeMounts?.find((mount) => mount.mountPath.endsWith('/.next/cache'));
    expect(cache?.mountPath).toBe('/app/client/.next/standalone/client/.next/cache');
    const volume = client.spec.template.spec?.volumes?.find((candidate) => candidate.name === cache?.name);
    expect(volume?.emptyDir).toBeDefined();
  });

  if (!isProd(overlay)) {
    it('dev: one PostgreSQL instance per Cluster, asynchronous (a synchronous standby that is not there would stop every write) and without a PodDisruptionBudget (it would block node drains)', () => {
      const clusters = postgresClusters(objects());
      expect(clusters.length).toBe(4);
      for (const cluster of clusters) {
        const spec = cluster.spec as { postgresql?: { synchronous?: unknown }; enablePDB?: boolean };
        expect([cluster.metadata.name, cluster.spec.instances, spec.postgresql?.synchronous, spec.enablePDB]).toEqual([
          cluster.metadata.name,
          1,
          undefined,
          false,
        ]);
      }
    });

    it('dev: one replica each, local images, and a writable /work for the hot-reload loop of the Node services', () => {
      for (const workload of workloads(objects()))
        expect([describeObject(workload), workload.spec.replicas]).toEqual([describeObject(workload), 1]);
      for (const workload of appDeployments(objects())) {
        const [container] = containersOf(workload);
        const hasWork = container?.volumeMounts?.some((mount) => mount.mountPath === '/work') ?? false;
        expect([workload.metadata.name, hasWork]).toEqual([
          workload.metadata.name,
          workload.metadata.name !== 'client',
        ]);
        // Local images: what skaffold (or docker build + kind load) put on the node, never a registry pull.
        expect([workload.metadata.name, container?.imagePullPolicy]).toEqual([workload.metadata.name, 'IfNotPresent']);
      }
    });
  } else {
    describe('prod scaling', () => {
      it.each(APPS)(
        '%s: at least 2 replicas, an HPA on its Deployment (min ≥ 2) and a PDB selecting its pods',
        (name) => {
          const deployment = findObject<Workload>(objects(), 'Deployment', name);
          expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
          const hpa = objectsOfKind<{
            spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number };
          }>(objects(), 'HorizontalPodAutoscaler').find((candidate) => candidate.spec.scaleTargetRef.name === name);
          expect(hpa?.apiVersion).toBe('autoscaling/v2');
          expect(hpa?.spec.scaleTargetRef.kind).toBe('Deployment');
          expect(hpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
          expect(hpa?.spec.maxReplicas).toBeGreaterThan(hpa?.spec.minReplicas ?? 0);
          const labels = deployment.spec.template.metadata?.labels ?? {};
          const pdbs = objectsOfKind<{
            spec: { selector: { matchLabels: Record<string, string> }; minAvailable?: number };
          }>(objects(), 'PodDisruptionBudget').filter((pdb) =>
            Object.entries(pdb.spec.selector.matchLabels).every(([key, value]) => labels[key] === value),
          );
          expect(pdbs.length).toBe(1);
          expect(pdbs[0]?.spec.minAvailable).toBeLessThan(deployment.spec.replicas ?? 0);
        },
      );

      it('NATS: a StatefulSet of 3 servers started together, routed to each other through the headless Service, advertising no pod address', () => {
        const nats = findObject<Workload>(objects(), 'StatefulSet', 'nats');
        expect(nats.spec.replicas).toBe(3);
        expect((nats.spec as { podManagementPolicy?: string }).podManagementPolicy).toBe('Parallel');
        expect((nats.spec as { serviceName?: string }).serviceName).toBe('nats-headless');
        const config = mountedConfigMap(objects(), nats, '/etc/nats')['nats.conf'] ?? '';
        const cluster = /cluster\s*\{([\s\S]*?)\n\}/.exec(config)?.[1] ?? '';
        const routes = [...cluster.matchAll(/nats:\/\/(nats-\d)\.nats-headless:6222/g)].map((match) => match[1]);
        expect(routes).toEqual(['nats-0', 'nats-1', 'nats-2']);
        expect(cluster).toMatch(/^\s*listen:\s*0\.0\.0\.0:6222\s*$/m);
        expect(cluster).toMatch(/^\s*no_advertise:\s*true\s*$/m);
        expect(containersOf(nats)[0]?.ports?.find((port) => port.name === 'cluster')?.containerPort).toBe(6222);
        expect(findObject(objects(), 'Service', 'nats-headless').spec).toMatchObject({
          clusterIP: 'None',
          publishNotReadyAddresses: true,
        });
      });

      describe('PostgreSQL: every CloudNativePG Cluster', () => {
        const clusters = () => postgresClusters(objects());

        it('has 3 instances (a primary and two standbys)', () => {
          expect(clusters().length).toBe(4);
          for (const cluster of clusters()) {
            expect([cluster.metadata.name, cluster.spec.instances]).toEqual([cluster.metadata.name, 3]);
          }
        });

        it('replicates synchronously to one standby of the two (ANY 1), with dataDurability required and a quorum check before failover', () => {
          for (const cluster of clusters()) {
            const { postgresql, minSyncReplicas, maxSyncReplicas } = cluster.spec as {
              postgresql?: { synchronous?: Record<string, unknown> };
              minSyncReplicas?: number;
              maxSyncReplicas?: number;
            };
            expect([cluster.metadata.name, postgresql?.synchronous]).toEqual([
              cluster.metadata.name,
              { method: 'any', number: 1, dataDurability: 'required', failoverQuorum: true },
            ]);
            // The older fields cannot be combined with the synchronous stanza.
            expect([minSyncReplicas, maxSyncReplicas]).toEqual([undefined, undefined]);
            expect(Number(postgresql?.synchronous?.number)).toBeLessThan(cluster.spec.instances);
          }
        });

        it('keeps the operator-made PodDisruptionBudgets, updates by switchover, and puts each instance on its own node, spread over zones', () => {
          for (const cluster of clusters()) {
            const spec = cluster.spec as {
              enablePDB?: boolean;
              primaryUpdateMethod?: string;
              affinity?: Record<string, unknown>;
              topologySpreadConstraints?: ITopologySpreadConstraint[];
            };
            expect([cluster.metadata.name, spec.enablePDB, spec.primaryUpdateMethod]).toEqual([
              cluster.metadata.name,
              true,
              'switchover',
            ]);
            expect(spec.affinity).toMatchObject({
              enablePodAntiAffinity: true,
              topologyKey: 'kubernetes.io/hostname',
              podAntiAffinityType: 'required',
            });
            const zone = spec.topologySpreadConstraints?.find(
              (constraint) => constraint.topologyKey === 'topology.kubernetes.io/zone',
            );
            expect(zone?.maxSkew).toBe(1);
            // Counted per Cluster: the pods' cnpg.io/cluster label, under the label every instance carries.
            expect(zone?.matchLabelKeys).toEqual(['cnpg.io/cluster']);
            expect(zone?.labelSelector?.matchLabels).toEqual({ 'app.kubernetes.io/name': 'postgres' });
            expect(inheritedLabels(cluster)['app.kubernetes.io/name']).toBe('postgres');
          }
        });

        it('has production volumes: data and WAL apart', () => {
          for (const cluster of clusters()) {
            const spec = cluster.spec as { storage?: { size?: string }; walStorage?: { size?: string } };
            expect([cluster.metadata.name, spec.storage?.size, spec.walStorage?.size]).toEqual([
              cluster.metadata.name,
              '20Gi',
              '5Gi',
            ]);
          }
        });
      });

      it('no PDB blocks a single-replica data store from being drained', () => {
        for (const pdb of objectsOfKind<{ spec: { selector: { matchLabels: Record<string, string> } } }>(
          objects(),
          'PodDisruptionBudget',
        )) {
          expect(['postgres', 'redis']).not.toContain(pdb.spec.selector.matchLabels['app.kubernetes.io/name']);
        }
      });
    });
  }

  describe('data stores', () => {
    it('keep their data on persistent volumes', () => {
      for (const name of ['nats', 'redis']) {
        const statefulSet = findObject<
          Workload & {
            spec: { volumeClaimTemplates: { metadata: { name: string }; spec: { accessModes: string[] } }[] };
          }
        >(objects(), 'StatefulSet', name);
        const [claim] = statefulSet.spec.volumeClaimTemplates;
        expect(claim?.spec.accessModes).toEqual(['ReadWriteOnce']);
        const [container] = containersOf(statefulSet);
        expect(container?.volumeMounts?.some((mount) => mount.name === claim?.metadata.name)).toBe(true);
      }
    });

    it('NATS: JetStream on file storage under the volume, with sync_interval: always', () => {
      const nats = findObject<Workload>(objects(), 'StatefulSet', 'nats');
      const config = mountedConfigMap(objects(), nats, '/etc/nats')['nats.conf'] ?? '';
      const jetstream = /jetstream\s*\{([^}]*)\}/.exec(config)?.[1] ?? '';
      expect(jetstream).toMatch(/^\s*sync_interval:\s*always\s*$/m);
      expect(jetstream).toMatch(/^\s*store_dir:\s*\/data\/jetstream\s*$/m);
      expect(containersOf(nats)[0]?.args).toEqual(['--config', '/etc/nats/nats.conf']);
      // The store is on the pod's own claim (one PVC per server), mounted where store_dir points.
      type Claim = { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } };
      const claims = (nats.spec as Workload['spec'] & { volumeClaimTemplates?: Claim[] }).volumeClaimTemplates ?? [];
      const dataMount = containersOf(nats)[0]?.volumeMounts?.find((mount) => mount.mountPath === '/data');
      const claim = claims.find((candidate) => candidate.metadata.name === dataMount?.name);
      expect(claim).toBeDefined();
      // File storage has room on the volume: max_file_store below the claim's size.
      const claimBytes = Number(/^(\d+)Gi$/.exec(claim!.spec.resources.requests.storage)?.[1]) * 2 ** 30;
      const storeMatch = /^\s*max_file_store:\s*(\d+)(MB|GB)\s*$/m.exec(jetstream);
      const storeBytes = Number(storeMatch?.[1]) * (storeMatch?.[2] === 'GB' ? 1e9 : 1e6);
      expect(storeBytes).toBeLessThan(claimBytes);
    });

    it('NATS: probed on the monitoring port as the chart does (/healthz; readiness js-server-only, liveness js-enabled-only)', () => {
      const nats = findObject<Workload>(objects(), 'StatefulSet', 'nats');
      const [container] = containersOf(nats);
      const monitor = container?.ports?.find((port) => port.name === 'monitor')?.containerPort;
      expect(monitor).toBe(8222);
      const config = mountedConfigMap(objects(), nats, '/etc/nats')['nats.conf'] ?? '';
      expect(config).toMatch(/^http:\s*0\.0\.0\.0:8222\s*$/m);
      const target = (probe: IProbe | undefined) => ({
        path: probe?.httpGet?.path,
        port: containerPortNumber(container!, probe?.httpGet?.port),
      });
      expect(target(container?.startupProbe)).toEqual({ path: '/healthz', port: monitor });
      expect(target(container?.readinessProbe)).toEqual({ path: '/healthz?js-server-only=true', port: monitor });
      expect(target(container?.livenessProbe)).toEqual({ path: '/healthz?js-enabled-only=true', port: monitor });
    });

    it('NATS: a PodDisruptionBudget of maxUnavailable 1 over its servers, which spread one per node (at least three nodes) and over zones', () => {
      const nats = findObject<Workload>(objects(), 'StatefulSet', 'nats');
      const labels = nats.spec.template.metadata?.labels ?? {};
      const pdb = findObject<{ spec: { maxUnavailable?: number; selector: { matchLabels: Record<string, string> } } }>(
        objects(),
        'PodDisruptionBudget',
        'nats',
      );
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(Object.entries(pdb.spec.selector.matchLabels).every(([key, value]) => labels[key] === value)).toBe(true);
      const constraints = nats.spec.template.spec?.topologySpreadConstraints ?? [];
      const byKey = Object.fromEntries(constraints.map((constraint) => [constraint.topologyKey, constraint]));
      expect(byKey['kubernetes.io/hostname']).toMatchObject({
        maxSkew: 1,
        whenUnsatisfiable: 'DoNotSchedule',
        minDomains: 3,
      });
      expect(byKey['topology.kubernetes.io/zone']).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });
      for (const constraint of constraints) {
        const selector = constraint.labelSelector?.matchLabels ?? {};
        expect(Object.entries(selector).every(([key, value]) => labels[key] === value)).toBe(true);
      }
    });

    it('PostgreSQL: a CloudNativePG Cluster per service with a DATABASE_URL, bootstrapping its database owned by its role, PostgreSQL 17 pinned, with storage and resources', () => {
      const withDatabase = appDeployments(objects())
        .filter((workload) => containersOf(workload)[0]?.env?.some((variable) => variable.name === 'DATABASE_URL'))
        .map((workload) => workload.metadata.name);
      const clusters = postgresClusters(objects());
      expect(clusters.map((cluster) => cluster.metadata.name).sort()).toEqual(
        withDatabase.map((name) => `postgres-${name}`).sort(),
      );
      for (const cluster of clusters) {
        const service = cluster.metadata.name.replace(/^postgres-/, '');
        const spec = cluster.spec as {
          imageName?: string;
          storage?: { size?: string };
          resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
          enableSuperuserAccess?: boolean;
        };
        expect(cluster.spec.bootstrap?.initdb).toEqual({
          database: `ticketing_${service}`,
          owner: service,
          dataChecksums: true,
        });
        expect(spec.imageName).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:17\.\d+-/);
        expect(spec.storage?.size).toMatch(/^\d+Gi$/);
        expect(Object.keys(spec.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(spec.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
        // No superuser over the network (the operator's default, not overridden).
        expect(spec.enableSuperuserAccess).toBeUndefined();
        expect(inheritedLabels(cluster)['app.kubernetes.io/part-of']).toBe('ticketing');
      }
    });

    it('PostgreSQL: what the CloudNativePG Clusters replace is gone (no StatefulSet, Service or init script of its own)', () => {
      const leftovers = objects().filter(
        (object) =>
          ['postgres', 'postgres-headless', 'postgres-init'].includes(object.metadata.name) ||
          (object.kind !== 'Cluster' && object.metadata.labels?.['app.kubernetes.io/name'] === 'postgres'),
      );
      expect(leftovers.map(describeObject)).toEqual([]);
    });

    it('PostgreSQL spread constraints use matchLabelKeys that are not also in the labelSelector (the API rejects that)', () => {
      for (const cluster of postgresClusters(objects())) {
        const spec = cluster.spec as { topologySpreadConstraints?: ITopologySpreadConstraint[] };
        for (const constraint of spec.topologySpreadConstraints ?? []) {
          const selectorKeys = Object.keys(constraint.labelSelector?.matchLabels ?? {});
          const both = (constraint.matchLabelKeys ?? []).filter((key) => selectorKeys.includes(key));
          expect([cluster.metadata.name, both]).toEqual([cluster.metadata.name, []]);
        }
      }
    });

    it('Redis: appendonly yes and maxmemory-policy noeviction, maxmemory under the memory limit', () => {
      const redis = findObject<Workload>(objects(), 'StatefulSet', 'redis');
      const config = mountedConfigMap(objects(), redis, '/etc/redis')['redis.conf'] ?? '';
      const setting = (name: string) => new RegExp(`^${name}\\s+(\\S+)\\s*$`, 'm').exec(config)?.[1];
      expect(setting('appendonly')).toBe('yes');
      expect(setting('maxmemory-policy')).toBe('noeviction');
      expect(setting('dir')).toBe('/data');
      const maxMegabytes = Number(/^(\d+)mb$/.exec(setting('maxmemory') ?? '')?.[1]);
      const limitMebibytes = Number(/^(\d+)Mi$/.exec(String(containersOf(redis)[0]?.resources?.limits?.memory))?.[1]);
      expect(maxMegabytes * 1e6).toBeLessThan(limitMebibytes * 2 ** 20 * 0.9);
      expect(containersOf(redis)[0]?.args).toEqual(['redis-server', '/etc/redis/redis.conf']);
    });
  });
});

it('every service and the client answer /healthz and /readyz, and every service /metrics (the routes the probes and scrapes hit exist)', () => {
  const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const shared = read('common/src/http/create-service-app.ts');
  expect(shared).toMatch(/app\.get\('\/healthz'/);
  expect(shared).toMatch(/app\.get\('\/readyz'/);
  expect(shared).toMatch(/app\.get\('\/metrics'/);
  for (const service of ['auth', 'tickets', 'orders', 'payments', 'expiration']) {
    expect([service, /createServiceApp\(/.test(read(`${service}/src/app.ts`))]).toEqual([service, true]);
  }
  expect(read('infra/stripe-emulator/src/emulator.ts')).toMatch(/app\.get\('\/readyz'/);
  expect(fs.existsSync(path.join(REPO_ROOT, 'client/src/app/healthz/route.ts'))).toBe(true);
  expect(fs.existsSync(path.join(REPO_ROOT, 'client/src/app/readyz/route.ts'))).toBe(true);
});
