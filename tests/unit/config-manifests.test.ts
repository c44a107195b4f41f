import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Container,
  V1CronJob,
  V1Deployment,
  V1EnvVar,
  V1Job,
  V1PodSpec,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { binary } from '../../hack/harness/index.ts';
import { createMetrics } from '../../app/metrics.ts';
import { OperatorMetrics } from '../../operator/metrics.ts';
import { restrictedViolations } from '../support/pod-security.ts';
import { nextCronTime } from '../../operator/decisions/schedule.ts';
import { resolveHyperparameters } from '../../trainer/hyperparameters.ts';
import type { Algorithm } from '../../core/index.ts';

// Renders every kustomization under config/ with kubectl's built-in kustomize and checks what a
// cluster operator would review: least-privilege RBAC, the game server's pod hardening, wiring
// between the parts (Secrets, ports, labels, env names), the samples and the dashboard.

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NAMESPACE = 'rps-quest';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
}

function kustomizations(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = path.join(dir, entry.name);
    if (existsSync(path.join(sub, 'kustomization.yaml'))) found.push(path.relative(repo, sub));
    found.push(...kustomizations(sub));
  }
  return found.sort();
}

const rendered = new Map<string, K8sObject[]>();
function render(dir: string): K8sObject[] {
  let objects = rendered.get(dir);
  if (!objects) {
    const yaml = execFileSync(binary('kubectl'), ['kustomize', path.join(repo, dir)], { encoding: 'utf8' });
    objects = loadAll(yaml).filter((o): o is K8sObject => o !== null && typeof o === 'object');
    rendered.set(dir, objects);
  }
  return objects;
}

function find<T>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} is not rendered`);
  return found as unknown as T;
}
const all = <T>(objects: K8sObject[], kind: string): T[] =>
  objects.filter((o) => o.kind === kind) as unknown as T[];

type Workload = V1Deployment | V1StatefulSet | V1Job | V1CronJob;
const podSpec = (w: Workload): V1PodSpec =>
  'jobTemplate' in w.spec! ? w.spec.jobTemplate.spec!.template.spec! : w.spec!.template.spec!;
const container = (w: Workload, name: string): V1Container => {
  const c = podSpec(w).containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
};
const env = (c: V1Container, name: string): V1EnvVar | undefined => c.env?.find((e) => e.name === name);

/** Environment variable names a component's source reads (`env.NAME`, `env['NAME']`, `'NAME'` settings). */
function envNamesIn(...files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const text = readFileSync(path.join(repo, file), 'utf8');
    for (const m of text.matchAll(/env(?:\.|\[')([A-Z][A-Z0-9_]+)|'([A-Z][A-Z0-9_]+)'/g))
      names.add((m[1] ?? m[2])!);
  }
  return names;
}

/** `name: 'metric_name'` of every metric a metrics module registers. */
/** The names of the metrics the game server and the operator register (their process metrics left out). */
async function exportedMetricNames(): Promise<string[]> {
  const registries = [
    createMetrics({ processMetrics: false }),
    new OperatorMetrics({ defaultMetrics: false }),
  ];
  const metrics = await Promise.all(registries.map((m) => m.registry.getMetricsAsJSON()));
  return metrics.flat().map((m) => m.name);
}

const ALL = kustomizations(path.join(repo, 'config'));

describe('every kustomization under config/', () => {
  it('includes the bases and overlays this repository documents', () => {
    for (const dir of [
      'config/crd',
      'config/rbac',
      'config/manager',
      'config/game',
      'config/minio',
      'config/simulate',
      'config/default',
      'config/samples',
      'config/prometheus',
      'config/with-prometheus',
      'config/grafana',
      'config/argocd',
    ]) {
      expect(ALL).toContain(dir);
    }
  });

  it.each(ALL)('%s renders to named Kubernetes objects', (dir) => {
    const objects = render(dir);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(o.apiVersion, `${dir}: ${JSON.stringify(o).slice(0, 80)}`).toBeTruthy();
      expect(o.kind).toBeTruthy();
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    }
  });
});

describe('config/default', () => {
  const objects = render('config/default');
  const CLUSTER_SCOPED = new Set([
    'Namespace',
    'CustomResourceDefinition',
    'ClusterRole',
    'ClusterRoleBinding',
  ]);

  it('puts every namespaced object in the rps-quest namespace and ships the namespace', () => {
    find(objects, 'Namespace', NAMESPACE);
    for (const o of objects.filter((x) => !CLUSTER_SCOPED.has(x.kind))) {
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(NAMESPACE);
    }
  });

  it('enforces Pod Security restricted in the namespace', () => {
    const ns = find<K8sObject>(objects, 'Namespace', NAMESPACE);
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
  });

  it('has only pods that Pod Security restricted admits', () => {
    const workloads = [
      ...all<V1Deployment>(objects, 'Deployment'),
      ...all<V1StatefulSet>(objects, 'StatefulSet'),
      ...all<V1Job>(objects, 'Job'),
      ...all<V1CronJob>(objects, 'CronJob'),
    ];
    expect(workloads.length).toBe(5);
    for (const w of workloads) {
      expect(restrictedViolations(podSpec(w)), `${w.kind} ${w.metadata?.name}`).toEqual([]);
    }
  });

  it('includes both CRDs, the operator, the game server, MinIO, the synthetic traffic and the internal token', () => {
    find(objects, 'CustomResourceDefinition', 'rpsmodels.rpsquest.dev');
    find(objects, 'CustomResourceDefinition', 'promotionpolicies.rpsquest.dev');
    find(objects, 'Deployment', 'rps-quest-operator');
    find(objects, 'Deployment', 'rps-quest-game');
    find(objects, 'Service', 'rps-quest-game');
    find(objects, 'PersistentVolumeClaim', 'rps-quest-game-data');
    find(objects, 'StatefulSet', 'rps-quest-minio');
    find(objects, 'Service', 'rps-quest-minio');
    find(objects, 'Job', 'rps-quest-minio-bucket');
    find(objects, 'CronJob', 'rps-quest-simulate');
    const token = find<V1Secret>(objects, 'Secret', 'rps-quest-internal');
    expect(token.stringData?.token?.length).toBeGreaterThanOrEqual(16);
    const s3 = find<V1Secret>(objects, 'Secret', 'rps-quest-s3-minter');
    expect(Object.keys(s3.stringData ?? {}).sort()).toEqual(['accessKey', 'secretKey']);
    expect(s3.stringData!.secretKey!.length).toBeGreaterThanOrEqual(8); // MinIO's minimum
  });

  it('orders and protects things for Argo CD: CRDs first and never pruned or deleted, the bucket Job a hook', () => {
    for (const crd of all<K8sObject>(objects, 'CustomResourceDefinition')) {
      expect(crd.metadata.annotations).toMatchObject({
        'argocd.argoproj.io/sync-wave': '-1',
        'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      });
    }
    // nothing else is in an earlier wave than the CRDs
    for (const o of objects) {
      expect(Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0)).toBeGreaterThanOrEqual(
        -1,
      );
    }
    expect(find<K8sObject>(objects, 'Job', 'rps-quest-minio-bucket').metadata.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
  });

  it('leaves the serving-manifest ConfigMap to the operator', () => {
    expect(objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'rps-quest-game-models')).toBe(
      false,
    );
  });

  describe('RBAC', () => {
    const roles = all<V1Role>(objects, 'Role');
    const clusterRoles = all<V1ClusterRole>(objects, 'ClusterRole');
    const bindings = [
      ...all<V1RoleBinding>(objects, 'RoleBinding'),
      ...all<V1ClusterRoleBinding>(objects, 'ClusterRoleBinding'),
    ];
    const allows = (rules: V1PolicyRule[], group: string, resource: string, verb: string) =>
      rules.some(
        (r) =>
          (r.apiGroups ?? []).includes(group) &&
          (r.resources ?? []).includes(resource) &&
          r.verbs.includes(verb),
      );

    it('grants no wildcard anywhere', () => {
      for (const role of [...roles, ...clusterRoles]) {
        for (const rule of role.rules ?? []) {
          expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]).not.toContain('*');
        }
      }
    });

    it('lets the operator manage Jobs, ConfigMaps, Events and its own resources anywhere, its Lease at home', () => {
      const lease = find<V1Role>(objects, 'Role', 'rps-quest-operator-leader-election');
      expect(lease.metadata?.namespace).toBe(NAMESPACE);
      for (const verb of ['get', 'create', 'update'])
        expect(allows(lease.rules ?? [], 'coordination.k8s.io', 'leases', verb)).toBe(true);
      const role = find<V1ClusterRole>(objects, 'ClusterRole', 'rps-quest-operator');
      const rules = role.rules ?? [];
      expect(allows(rules, 'coordination.k8s.io', 'leases', 'update')).toBe(false);
      const binding = find<V1ClusterRoleBinding>(objects, 'ClusterRoleBinding', 'rps-quest-operator');
      expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'rps-quest-operator' });
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete'])
        expect(allows(rules, 'batch', 'jobs', verb)).toBe(true);
      for (const verb of ['get', 'list', 'watch', 'create', 'patch'])
        expect(allows(rules, '', 'configmaps', verb)).toBe(true);
      for (const verb of ['create', 'patch']) expect(allows(rules, '', 'events', verb)).toBe(true);
      for (const kind of ['rpsmodels', 'promotionpolicies']) {
        for (const verb of ['get', 'list', 'watch'])
          expect(allows(rules, 'rpsquest.dev', kind, verb)).toBe(true);
        expect(allows(rules, 'rpsquest.dev', `${kind}/status`, 'update')).toBe(true);
        expect(allows(rules, 'rpsquest.dev', `${kind}/status`, 'patch')).toBe(true);
      }
    });

    it("lets the operator create Secrets (a training Job's keys) and nothing else with them", () => {
      const secretRules = [...roles, ...clusterRoles].flatMap((r) =>
        (r.rules ?? []).filter((rule) => rule.resources?.includes('secrets')),
      );
      expect(secretRules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }]);
    });

    it('gives the operator no access to Deployments or anything outside its kinds', () => {
      const granted = [...roles, ...clusterRoles].flatMap((r) =>
        (r.rules ?? []).flatMap((rule) => rule.resources ?? []),
      );
      const allowed = new Set([
        'secrets', // create only (above)
        'jobs',
        'pods',
        'configmaps',
        'events',
        'leases',
        'endpointslices', // the game Service's ready replicas (list only), each asked what it serves
        'rpsmodels',
        'rpsmodels/status',
        'rpsmodels/finalizers',
        'promotionpolicies',
        'promotionpolicies/status',
        'customresourcedefinitions',
      ]);
      for (const resource of granted) expect(allowed.has(resource), resource).toBe(true);
    });

    it('grants cluster-wide no delete but of training Jobs, and no write to a spec', () => {
      for (const role of clusterRoles) {
        for (const rule of role.rules ?? []) {
          if (rule.verbs.includes('delete')) expect(rule.resources, JSON.stringify(rule)).toEqual(['jobs']);
          if (rule.verbs.includes('update'))
            for (const r of rule.resources ?? [])
              expect(r, JSON.stringify(rule)).toMatch(/\/(status|finalizers)$/);
        }
      }
    });

    it('binds roles only to the operator ServiceAccount, never to the game server', () => {
      expect(bindings.length).toBeGreaterThan(0);
      for (const b of bindings) {
        for (const s of b.subjects ?? []) {
          expect(s).toMatchObject({
            kind: 'ServiceAccount',
            name: 'rps-quest-operator',
            namespace: NAMESPACE,
          });
        }
      }
      const game = find<V1Deployment>(objects, 'Deployment', 'rps-quest-game');
      expect(podSpec(game).serviceAccountName).toBe('rps-quest-game');
      expect(podSpec(game).automountServiceAccountToken).toBe(false);
      find(objects, 'ServiceAccount', 'rps-quest-game');
      const operator = find<V1Deployment>(objects, 'Deployment', 'rps-quest-operator');
      expect(podSpec(operator).serviceAccountName).toBe('rps-quest-operator');
    });
  });

  it('names the image once: an images: entry changes the operator, whose training Jobs run its own image', () => {
    const overlay = mkdtempSync(path.join(tmpdir(), 'rps-images-'));
    writeFileSync(
      path.join(overlay, 'kustomization.yaml'),
      `resources: [${path.relative(overlay, path.join(repo, 'config/default'))}]\nimages:\n  - name: rps-quest\n    newName: registry.example/rps-quest\n    newTag: '1.2.3'\n`,
    );
    let yaml: string;
    try {
      yaml = execFileSync(binary('kubectl'), ['kustomize', overlay], { encoding: 'utf8' });
    } finally {
      rmSync(overlay, { recursive: true, force: true });
    }
    const objects = loadAll(yaml).filter((o): o is K8sObject => o !== null && typeof o === 'object');
    const operator = container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-operator'), 'operator');
    expect(operator.image).toBe('registry.example/rps-quest:1.2.3');
    // no TRAINER_IMAGE: the operator gives its Jobs the image its own Pod runs (operator/trainer-image.ts)
    expect(operator.env?.map((e) => e.name)).not.toContain('TRAINER_IMAGE');
  });

  describe('the game server', () => {
    const game = find<V1Deployment>(objects, 'Deployment', 'rps-quest-game');
    const spec = podSpec(game);
    const c = container(game, 'game');

    it('replaces its single pod with the Recreate strategy (SQLite on a ReadWriteOnce volume)', () => {
      expect(game.spec?.strategy?.type).toBe('Recreate');
      expect(game.spec?.replicas).toBe(1);
    });

    it('runs `rpsq app` from the one image on port 8080, behind Service port 80', () => {
      expect(c.command).toEqual(['rpsq', 'app']);
      expect(c.ports).toContainEqual({ name: 'http', containerPort: 8080 });
      expect(env(c, 'PORT')?.value).toBe('8080');
      const svc = find<V1Service>(objects, 'Service', 'rps-quest-game');
      expect(svc.spec?.ports).toContainEqual({ name: 'http', port: 80, targetPort: 'http' });
      expect(svc.spec?.selector).toEqual(game.spec?.selector.matchLabels);
    });

    it('has liveness and readiness probes on /healthz and /readyz', () => {
      expect(c.livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    });

    it('declares CPU and memory requests and a memory limit', () => {
      expect(c.resources?.requests?.cpu).toBeTruthy();
      expect(c.resources?.requests?.memory).toBeTruthy();
      expect(c.resources?.limits?.memory).toBeTruthy();
    });

    it('runs as non-root on a read-only root filesystem without privilege escalation', () => {
      expect(spec.securityContext?.runAsNonRoot).toBe(true);
      expect(spec.securityContext?.runAsUser).not.toBe(0);
      expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
    });

    it('writes only to its data, cache and tmp volumes; the manifest ConfigMap is mounted read-only', () => {
      const mounts = c.volumeMounts ?? [];
      const writable = mounts.filter((m) => !m.readOnly).map((m) => m.name);
      expect(writable.sort()).toEqual(['cache', 'data', 'tmp']);
      const volume = (name: string) => spec.volumes?.find((v) => v.name === name);
      expect(volume('data')?.persistentVolumeClaim?.claimName).toBe('rps-quest-game-data');
      expect(volume('cache')?.emptyDir).toBeDefined();
      expect(volume('tmp')?.emptyDir).toBeDefined();
      const mountOf = (name: string) => mounts.find((m) => m.name === name)!.mountPath;
      expect(mountOf('tmp')).toBe('/tmp');
      expect(env(c, 'RPS_DB')?.value?.startsWith(`${mountOf('data')}/`)).toBe(true);
      expect(env(c, 'RPS_MODEL_CACHE_DIR')?.value?.startsWith(`${mountOf('cache')}/`)).toBe(true);

      const models = mounts.find((m) => m.name !== 'data' && m.name !== 'cache' && m.name !== 'tmp')!;
      expect(models.readOnly).toBe(true);
      expect(volume(models.name)?.configMap).toEqual({ name: 'rps-quest-game-models', optional: true });
      expect(env(c, 'RPS_MANIFEST_DIR')?.value).toBe(models.mountPath);
    });
  });

  describe('the synthetic-traffic CronJob', () => {
    const cron = find<V1CronJob>(objects, 'CronJob', 'rps-quest-simulate');
    const spec = podSpec(cron);
    const c = container(cron, 'simulate');

    it('runs every 30 minutes, never two at once, and does not pile up missed runs', () => {
      expect(cron.spec?.concurrencyPolicy).toBe('Forbid');
      const from = new Date('2025-03-01T12:07:00Z');
      const first = nextCronTime(cron.spec!.schedule, from);
      if (!first.ok) throw new Error(first.error);
      const second = nextCronTime(cron.spec!.schedule, first.time);
      if (!second.ok) throw new Error(second.error);
      expect(first.time.toISOString()).toBe('2025-03-01T12:30:00.000Z');
      expect(second.time.getTime() - first.time.getTime()).toBe(30 * 60_000);
      expect(cron.spec?.startingDeadlineSeconds).toBeGreaterThan(0);
      expect(cron.spec?.jobTemplate.spec?.activeDeadlineSeconds).toBeLessThanOrEqual(30 * 60);
      expect(spec.restartPolicy).toBe('Never');
    });

    it('runs `rpsq simulate` from the game server image against the game server Service', () => {
      const game = container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-game'), 'game');
      expect(c.command).toEqual(['rpsq', 'simulate']);
      expect(c.image).toBe(game.image);
      find<V1Service>(objects, 'Service', 'rps-quest-game');
      expect(env(c, 'RPS_GAME_URL')?.value).toBe('http://rps-quest-game');
    });

    it('plays 24 games only when fewer human games than the configurable threshold arrived in the window', () => {
      expect(env(c, 'RPS_SIMULATE_GAMES')?.value).toBe('24');
      expect(Number(env(c, 'RPS_MIN_HUMAN_GAMES')?.value)).toBeGreaterThan(0);
      expect(Number(env(c, 'RPS_WINDOW_MINUTES')?.value)).toBeGreaterThanOrEqual(30);
      expect(env(c, 'RPS_INTERNAL_TOKEN')?.valueFrom?.secretKeyRef).toMatchObject({
        name: 'rps-quest-internal',
        key: 'token',
      });
    });

    it('needs no API access and writes only to /tmp', () => {
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext?.runAsNonRoot).toBe(true);
      expect(spec.securityContext?.runAsUser).not.toBe(0);
      expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
      expect(c.resources?.limits?.cpu).toBeTruthy();
      expect((c.volumeMounts ?? []).map((m) => m.mountPath)).toEqual(['/tmp']);
    });
  });

  it('hardens every workload container: non-root, read-only root, no escalation, resources', () => {
    const workloads = [
      ...all<V1Deployment>(objects, 'Deployment'),
      ...all<V1StatefulSet>(objects, 'StatefulSet'),
      ...all<V1Job>(objects, 'Job'),
      ...all<V1CronJob>(objects, 'CronJob'),
    ];
    expect(workloads.length).toBe(5);
    for (const w of workloads) {
      const spec = podSpec(w);
      for (const c of spec.containers) {
        const what = `${w.metadata?.name}/${c.name}`;
        expect(c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot, what).toBe(true);
        expect(c.securityContext?.readOnlyRootFilesystem, what).toBe(true);
        expect(c.securityContext?.allowPrivilegeEscalation, what).toBe(false);
        expect(c.resources?.requests?.memory, what).toBeTruthy();
        expect(c.resources?.limits?.memory, what).toBeTruthy();
        expect(c.image, what).toMatch(/:[\w.-]+$/);
      }
    }
  });

  it('refers only to Secret keys it ships', () => {
    const secrets = all<V1Secret>(objects, 'Secret');
    const refs = objects
      .filter((o) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind))
      .flatMap((w) => podSpec(w as Workload).containers.flatMap((c) => c.env ?? []))
      .map((e) => e.valueFrom?.secretKeyRef)
      .filter((r) => r !== undefined);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const secret = secrets.find((s) => s.metadata?.name === ref.name);
      expect(secret, ref.name).toBeDefined();
      expect(Object.keys(secret!.stringData ?? secret!.data ?? {}), `${ref.name}/${ref.key}`).toContain(
        ref.key,
      );
    }
  });

  it('sets only environment variables that the game server, the operator and `rpsq simulate` read', () => {
    const game = container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-game'), 'game');
    const gameReads = envNamesIn('app/config.ts', 'lib/env-config.ts', 'lib/artifact-store.ts');
    for (const e of game.env ?? []) expect(gameReads.has(e.name), `game server: ${e.name}`).toBe(true);

    const operator = container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-operator'), 'operator');
    const operatorReads = envNamesIn('operator/config.ts', 'lib/env-config.ts', 'lib/artifact-store.ts');
    for (const e of operator.env ?? []) expect(operatorReads.has(e.name), `operator: ${e.name}`).toBe(true);
    expect(env(operator, 'NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');

    const simulate = container(find<V1CronJob>(objects, 'CronJob', 'rps-quest-simulate'), 'simulate');
    const simulateReads = envNamesIn('app/simulate.ts');
    for (const e of simulate.env ?? []) expect(simulateReads.has(e.name), `simulate: ${e.name}`).toBe(true);
  });

  it('wires the game server, the operator and the bucket Job to the same MinIO and bucket', () => {
    const minioSvc = find<V1Service>(objects, 'Service', 'rps-quest-minio');
    const s3Port = minioSvc.spec?.ports?.find((p) => p.name === 's3')?.port;
    const containers = [
      container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-game'), 'game'),
      container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-operator'), 'operator'),
      container(find<V1Job>(objects, 'Job', 'rps-quest-minio-bucket'), 'mc'),
    ];
    for (const c of containers) {
      expect(env(c, 'S3_ENDPOINT')?.value).toBe(`http://rps-quest-minio:${s3Port}`);
      expect(env(c, 'S3_BUCKET')?.value).toBe('rps-models');
    }
    const minio = find<V1StatefulSet>(objects, 'StatefulSet', 'rps-quest-minio');
    expect(minio.spec?.volumeClaimTemplates?.map((t) => t.metadata?.name)).toEqual(['data']);
    expect(minioSvc.spec?.selector).toEqual(minio.spec?.selector.matchLabels);
  });

  it('gives each holder of object store keys its own MinIO user, made by the bucket Job', () => {
    const secretOf = (c: V1Container, name: string) => env(c, name)?.valueFrom?.secretKeyRef?.name;
    const game = container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-game'), 'game');
    const operator = container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-operator'), 'operator');
    const minio = container(find<V1StatefulSet>(objects, 'StatefulSet', 'rps-quest-minio'), 'minio');
    const job = find<V1Job>(objects, 'Job', 'rps-quest-minio-bucket');
    const mc = container(job, 'mc');
    expect(secretOf(game, 'S3_ACCESS_KEY')).toBe('rps-quest-s3-game');
    expect(secretOf(operator, 'S3_SECRET_KEY')).toBe('rps-quest-s3-operator');
    expect(secretOf(minio, 'MINIO_ROOT_USER')).toBe('rps-quest-minio-root');
    expect(secretOf(operator, 'S3_MINTER_SECRET_KEY')).toBe('rps-quest-s3-minter');
    // the Job makes each user from the same Secret its holder reads (the training Jobs get their
    // keys from the operator, minted with rps-quest-s3-minter's)
    expect(secretOf(mc, 'S3_ACCESS_KEY')).toBe('rps-quest-minio-root');
    expect(secretOf(mc, 'GAME_SECRET_KEY')).toBe('rps-quest-s3-game');
    expect(secretOf(mc, 'MINTER_SECRET_KEY')).toBe('rps-quest-s3-minter');
    expect(secretOf(mc, 'OPERATOR_SECRET_KEY')).toBe('rps-quest-s3-operator');
    const keys = [
      'rps-quest-minio-root',
      'rps-quest-s3-minter',
      'rps-quest-s3-game',
      'rps-quest-s3-operator',
    ].map((name) => find<V1Secret>(objects, 'Secret', name).stringData!.accessKey);
    expect(new Set(keys).size).toBe(4);
    // the policies it attaches, mounted from the generated ConfigMap
    const volume = job.spec!.template.spec!.volumes!.find((v) => v.name === 'policies');
    const policies = find<V1ConfigMap>(objects, 'ConfigMap', volume!.configMap!.name!);
    expect(Object.keys(policies.data ?? {}).sort()).toEqual(['game.json', 'minter.json', 'operator.json']);
    const actions = (file: string) =>
      (JSON.parse(policies.data![file]!) as { Statement: { Action: string[] }[] }).Statement.flatMap(
        (s) => s.Action,
      );
    expect(actions('game.json')).not.toContain('s3:PutObject');
    expect(actions('game.json')).not.toContain('s3:DeleteObject');
    expect(actions('operator.json')).not.toContain('s3:PutObject');
    expect(actions('minter.json')).toContain('s3:PutObject');
    // mc's admin calls peak at about 160 MB (argon2id): a lower limit OOM-kills the Job
    expect(mc.resources?.limits?.memory).toBe('256Mi');
  });

  it('points the operator at the game server Service', () => {
    const operator = container(find<V1Deployment>(objects, 'Deployment', 'rps-quest-operator'), 'operator');
    // what the image's `rpsq` runs (node /app/dist/cli.js), with the operator's V8 flags
    expect(operator.command).toEqual([
      'node',
      '--max-semi-space-size=1',
      '--optimize-for-size',
      '/app/dist/cli.js',
      'operator',
    ]);
    expect(readFileSync(path.join(repo, 'Dockerfile'), 'utf8')).toContain('exec node /app/dist/cli.js "$@"');
    expect(env(operator, 'RPS_GAME_URL')?.value).toBe('http://rps-quest-game');
    const metricsPort = operator.ports?.find((p) => p.name === 'metrics')?.containerPort;
    expect(env(operator, 'METRICS_PORT')?.value).toBe(String(metricsPort));
    expect(operator.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'metrics' });
    expect(operator.livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'metrics' });
  });
});

describe('config/samples', () => {
  interface Sample extends K8sObject {
    spec: {
      displayName: string;
      algorithm: Algorithm;
      hyperparameters: Record<string, unknown>;
      training: { schedule: string };
      serving: { deploymentName: string };
    };
  }
  const objects = render('config/samples');
  const models = all<Sample>(objects, 'RpsModel');

  it('declares Brian (mlp), Forrest (gbdt) and Logan (logistic) and a default PromotionPolicy for them', () => {
    expect(models.map((m) => [m.metadata.name, m.spec.displayName, m.spec.algorithm])).toEqual([
      ['brian', 'Brian', 'mlp'],
      ['forrest', 'Forrest', 'gbdt'],
      ['logan', 'Logan', 'logistic'],
    ]);
    const policy = find<{ spec: { models: string[] } }>(objects, 'PromotionPolicy', 'default');
    expect(policy.spec.models).toEqual(['brian', 'forrest', 'logan']);
  });

  it('serves every bot from the rps-quest-game Deployment', () => {
    for (const m of models) expect(m.spec.serving.deploymentName).toBe('rps-quest-game');
  });

  it('uses hyperparameters the trainer accepts, small enough for a quick first training', () => {
    for (const m of models) {
      const resolved = resolveHyperparameters(m.spec.algorithm, m.spec.hyperparameters) as Record<
        string,
        number
      >;
      if (m.spec.algorithm === 'gbdt') expect(resolved.trees).toBeLessThanOrEqual(50);
      else expect(resolved.epochs).toBeLessThanOrEqual(50);
    }
  });

  it('retrains each bot once a day', () => {
    const from = new Date('2025-03-01T12:00:00Z');
    for (const m of models) {
      const first = nextCronTime(m.spec.training.schedule, from);
      if (!first.ok) throw new Error(first.error);
      const second = nextCronTime(m.spec.training.schedule, first.time);
      if (!second.ok) throw new Error(second.error);
      expect(second.time.getTime() - first.time.getTime(), m.metadata.name).toBe(24 * 3600_000);
    }
  });
});

describe('config/prometheus', () => {
  const monitors = render('config/prometheus');
  const system = render('config/default');
  interface Monitor extends K8sObject {
    spec: {
      selector: { matchLabels: Record<string, string> };
      endpoints?: { port: string; path: string }[];
      podMetricsEndpoints?: { port: string; path: string }[];
    };
  }

  it('is an optional Component, composed with config/default by config/with-prometheus', () => {
    const kustomization = readFileSync(path.join(repo, 'config/prometheus/kustomization.yaml'), 'utf8');
    expect(kustomization).toMatch(/^kind: Component$/m);
    const combined = render('config/with-prometheus');
    expect(combined.length).toBe(system.length + monitors.length);
  });

  it('renders the monitors of config/with-prometheus in the namespace of the pods they select', () => {
    const combined = render('config/with-prometheus');
    const rendered = combined.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor');
    expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'PodMonitor/rps-quest-operator',
      'ServiceMonitor/rps-quest-game',
    ]);
    for (const m of rendered) {
      expect(m.metadata.namespace, `${m.kind} ${m.metadata.name}`).toBe(NAMESPACE);
      expect(m.metadata.labels?.['app.kubernetes.io/part-of']).toBe('rps-quest');
    }
    // and config/default's objects are unchanged by the overlay
    for (const o of system) {
      const same = combined.find((c) => c.kind === o.kind && c.metadata.name === o.metadata.name);
      expect(same, `${o.kind} ${o.metadata.name}`).toEqual(o);
    }
  });

  it("scrapes the game server's Service port and the operator pod's metrics port", () => {
    const sm = find<Monitor>(monitors, 'ServiceMonitor', 'rps-quest-game');
    const svc = find<V1Service>(system, 'Service', 'rps-quest-game');
    expect(sm.spec.selector.matchLabels).toEqual(
      Object.fromEntries(
        Object.entries(svc.metadata!.labels!).filter(([k]) => k in sm.spec.selector.matchLabels),
      ),
    );
    expect(Object.keys(sm.spec.selector.matchLabels).length).toBeGreaterThan(0);
    expect(svc.spec?.ports?.map((p) => p.name)).toContain(sm.spec.endpoints![0]!.port);
    expect(sm.spec.endpoints![0]!.path).toBe('/metrics');

    const pm = find<Monitor>(monitors, 'PodMonitor', 'rps-quest-operator');
    const operator = find<V1Deployment>(system, 'Deployment', 'rps-quest-operator');
    expect(pm.spec.selector.matchLabels).toEqual(operator.spec?.selector.matchLabels);
    expect(container(operator, 'operator').ports?.map((p) => p.name)).toContain(
      pm.spec.podMetricsEndpoints![0]!.port,
    );
  });
});

describe('config/grafana', () => {
  interface Panel {
    id: number;
    type: string;
    title: string;
    datasource?: { uid: string };
    targets?: { expr: string }[];
  }
  const cm = find<V1ConfigMap>(render('config/grafana'), 'ConfigMap', 'rps-quest-dashboard');
  const dashboard = JSON.parse(cm.data!['rps-quest-dashboard.json']!) as { uid: string; panels: Panel[] };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it('ships the dashboard for the Grafana sidecar, with a datasource variable so that it imports anywhere', () => {
    expect(cm.metadata?.labels?.grafana_dashboard).toBe('1');
    expect(dashboard.uid).toBe('rps-quest');
    for (const p of dashboard.panels.filter((x) => x.type !== 'row'))
      expect(p.datasource?.uid).toBe('${datasource}');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('queries only metrics that the game server and the operator export', async () => {
    const exported = new Set(
      (await exportedMetricNames()).flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]),
    );
    const used = new Set(
      exprs.flatMap((e) =>
        [...e.matchAll(/\b(rpsq_[a-z_]+|rps_[a-z_]+|rpsquest_operator_[a-z_]+)/g)].map((m) => m[1]!),
      ),
    );
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exported.has(name), name).toBe(true);
  });

  it('shows alias versions, accuracy per version, drift, Production vs B with the p-value, training jobs and move latency', () => {
    const uses = (metric: string) => exprs.some((e) => e.includes(metric));
    expect(uses('rpsq_served_model_info')).toBe(true);
    expect(uses('rpsq_predictions_correct_total')).toBe(true);
    expect(uses('rps_drift_score')).toBe(true);
    expect(uses('rps_drift_detected')).toBe(true);
    expect(exprs.some((e) => e.includes('rpsq_games_finished_total') && e.includes('Production|B'))).toBe(
      true,
    );
    expect(uses('rpsquest_operator_last_p_value')).toBe(true);
    expect(uses('rpsquest_operator_training_jobs_total')).toBe(true);
    expect(uses('rpsq_move_duration_seconds_bucket')).toBe(true);
    expect(uses('rpsq_move_inputs_total')).toBe(true);
  });

  it('aggregates the gauges every replica reports alike with max, never sum (the counters sum)', () => {
    const sameOnEveryReplica = ['rpsq_served_model_info', 'rps_drift_score', 'rps_drift_detected'];
    for (const metric of sameOnEveryReplica) {
      const queries = exprs.filter((e) => e.includes(metric));
      expect(queries.length, metric).toBeGreaterThan(0);
      for (const e of queries)
        expect(e, metric).toMatch(new RegExp(`^max by \\([a-z, ]+\\) \\(${metric}\\b`));
    }
    expect(exprs.some((e) => /^sum by .*rpsq_games_started_total/.test(e))).toBe(true);
  });
});

describe('config/argocd', () => {
  interface Application extends K8sObject {
    spec: { source: { path: string }; destination: { namespace: string } };
  }
  const apps = all<Application>(render('config/argocd'), 'Application');

  it('keeps the Secrets set in the cluster: the system Application ignores their data and respects that in syncs', () => {
    const system = apps.find((a) => a.spec.source.path === 'config/default') as unknown as {
      spec: { ignoreDifferences?: object[]; syncPolicy: { syncOptions: string[] } };
    };
    expect(system.spec.ignoreDifferences).toEqual([
      { kind: 'Secret', jsonPointers: ['/data', '/stringData'] },
    ]);
    expect(system.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
  });

  it('points an Application at config/default in the rps-quest namespace', () => {
    const system = apps.find((a) => a.spec.source.path === 'config/default');
    expect(system?.spec.destination.namespace).toBe(NAMESPACE);
    for (const app of apps)
      expect(existsSync(path.join(repo, app.spec.source.path, 'kustomization.yaml'))).toBe(true);
  });
});
