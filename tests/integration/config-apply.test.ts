import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { buildApp } from '../../app/build-app.ts';
import { endpointSliceReplicas } from '../../operator/game-replicas.ts';
import { SYNTHETIC_PLAYER_NAMES, seededRandom, type ExportedRound } from '../../core/index.ts';
import { binary, startControlPlane, startPodExecutor, type ControlPlane } from '../../hack/harness/index.ts';

// Every manifest under config/ against a real kube-apiserver: the CRDs installed for real, then
// `kubectl apply --dry-run=server` of each kustomization (schema, CEL rules and admission all run),
// and the RBAC applied for real so that the API server's own authorizer checks least privilege.

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NAMESPACE = 'rps-quest';

// Stand-ins for the Prometheus Operator's and Argo CD's CRDs, so that their objects can be
// dry-run too: they check group, version, kind and scope, not the fields.
const FOREIGN_CRDS = [
  { group: 'monitoring.coreos.com', version: 'v1', kind: 'ServiceMonitor', plural: 'servicemonitors' },
  { group: 'monitoring.coreos.com', version: 'v1', kind: 'PodMonitor', plural: 'podmonitors' },
  { group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', plural: 'applications' },
]
  .map((c) =>
    dump({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${c.plural}.${c.group}` },
      spec: {
        group: c.group,
        scope: 'Namespaced',
        names: { kind: c.kind, plural: c.plural, singular: c.kind.toLowerCase() },
        versions: [
          {
            name: c.version,
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    }),
  )
  .join('---\n');

let dir: string;
let cp: ControlPlane;

function kubectl(args: string[], input?: string): string {
  return execFileSync(binary('kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args], {
    encoding: 'utf8',
    input,
    stdio: 'pipe',
  });
}

/** Runs kubectl expecting a refusal; returns its error output. */
function kubectlFails(args: string[], input: string): string {
  const res = spawnSync(binary('kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args], {
    encoding: 'utf8',
    input,
  });
  expect(res.status, `kubectl ${args.join(' ')} succeeded: ${res.stdout}`).not.toBe(0);
  return res.stderr;
}

function kustomizations(root: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = path.join(root, entry.name);
    if (existsSync(path.join(sub, 'kustomization.yaml'))) found.push(path.relative(repo, sub));
    found.push(...kustomizations(sub));
  }
  return found.sort();
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rps-config-'));
  cp = await startControlPlane({ dir, fsync: false });
  kubectl(['apply', '--server-side', '-k', path.join(repo, 'config/crd')]);
  kubectl(['apply', '--server-side', '-f', '-'], FOREIGN_CRDS);
  kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/rpsmodels.rpsquest.dev',
    'crd/promotionpolicies.rpsquest.dev',
    'crd/servicemonitors.monitoring.coreos.com',
    'crd/podmonitors.monitoring.coreos.com',
    'crd/applications.argoproj.io',
  ]);
  // A dry run creates nothing, so the namespaces the objects go into must exist.
  kubectl(['create', 'namespace', NAMESPACE]);
  kubectl(['create', 'namespace', 'argocd']);
});

afterAll(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubectl apply --dry-run=server', () => {
  it('accepts the whole system, config/default', () => {
    const out = kubectl(['apply', '--dry-run=server', '-k', path.join(repo, 'config/default')]);
    for (const object of [
      'deployment.apps/rps-quest-game',
      'deployment.apps/rps-quest-operator',
      'statefulset.apps/rps-quest-minio',
      'job.batch/rps-quest-minio-bucket',
      'cronjob.batch/rps-quest-simulate',
      'clusterrole.rbac.authorization.k8s.io/rps-quest-operator',
      'clusterrolebinding.rbac.authorization.k8s.io/rps-quest-operator',
      'role.rbac.authorization.k8s.io/rps-quest-operator-leader-election',
      'secret/rps-quest-internal',
      'secret/rps-quest-s3-minter',
    ]) {
      expect(out).toMatch(new RegExp(`^${object} (created|configured|unchanged) \\(server dry run\\)$`, 'm'));
    }
  });

  it('accepts the samples: three RpsModels and the PromotionPolicy', () => {
    const out = kubectl([
      'apply',
      '--dry-run=server',
      '-n',
      NAMESPACE,
      '-k',
      path.join(repo, 'config/samples'),
    ]);
    for (const name of [
      'rpsmodel.rpsquest.dev/brian',
      'rpsmodel.rpsquest.dev/forrest',
      'rpsmodel.rpsquest.dev/logan',
    ]) {
      expect(out).toContain(`${name} created (server dry run)`);
    }
    expect(out).toContain('promotionpolicy.rpsquest.dev/default created (server dry run)');
  });

  // Objects without a namespace go to the kubeconfig context's namespace, rps-quest.
  it.each(kustomizations(path.join(repo, 'config')))('accepts every object %s renders', (kustomization) => {
    const out = kubectl(['apply', '--dry-run=server', '-k', path.join(repo, kustomization)]);
    expect(out).toMatch(/\(server dry run\)/);
    expect(out).not.toMatch(/error/i);
  });

  it('accepts config/scale: 3 game servers on PostgreSQL, rolling updates, a PDB, a CPU autoscaler', () => {
    const out = kubectl(['apply', '--dry-run=server', '-k', path.join(repo, 'config/scale')]);
    for (const created of [
      'deployment.apps/rps-quest-game created',
      'statefulset.apps/rps-quest-postgres created',
      'secret/rps-quest-postgres created',
      'service/rps-quest-postgres created',
      'poddisruptionbudget.policy/rps-quest-game created',
      'horizontalpodautoscaler.autoscaling/rps-quest-game created',
    ]) {
      expect(out).toContain(`${created} (server dry run)`);
    }
    expect(out).not.toContain('persistentvolumeclaim/rps-quest-game-data');
    type Obj = { kind: string; metadata: { name: string }; spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const objects = loadAll(kubectl(['kustomize', path.join(repo, 'config/scale')])) as Obj[];
    const find = (kind: string, name: string) =>
      objects.find((o) => o.kind === kind && o.metadata.name === name)!;
    const game = find('Deployment', 'rps-quest-game').spec;
    expect(game.replicas).toBe(3);
    expect(game.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(
      game.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
    const env = game.template.spec.containers[0].env as { name: string; valueFrom?: unknown }[];
    expect(env.find((e) => e.name === 'RPS_DATABASE_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'rps-quest-postgres', key: 'url' },
    });
    expect(env.some((e) => e.name === 'RPS_DB')).toBe(false);
    expect(game.template.spec.volumes.some((v: { name: string }) => v.name === 'data')).toBe(false);
    expect(find('HorizontalPodAutoscaler', 'rps-quest-game').spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
    });
    const postgres = find('StatefulSet', 'rps-quest-postgres').spec;
    expect(postgres.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999 });
    expect(postgres.volumeClaimTemplates[0].metadata.name).toBe('data');
  });

  it("accepts the argocd-cm patch as a ConfigMap in Argo CD's namespace", () => {
    const out = kubectl([
      'apply',
      '--dry-run=server',
      '-f',
      path.join(repo, 'config/argocd/argocd-cm-patch.yaml'),
    ]);
    expect(out).toContain('configmap/argocd-cm created (server dry run)');
  });
});

describe('a sample with an invalid hyperparameter', () => {
  const brian = load(readFileSync(path.join(repo, 'config/samples/rpsmodel-brian.yaml'), 'utf8')) as {
    spec: { hyperparameters: Record<string, unknown> };
  };
  const withHyperparameters = (extra: Record<string, unknown>) =>
    dump({ ...brian, spec: { ...brian.spec, hyperparameters: { ...brian.spec.hyperparameters, ...extra } } });

  it('is rejected when the value is out of range, naming the hyperparameter', () => {
    const err = kubectlFails(
      ['apply', '--dry-run=server', '-n', NAMESPACE, '-f', '-'],
      withHyperparameters({ dropout: 1.5 }),
    );
    expect(err).toContain('spec.hyperparameters.dropout');
  });

  it("is rejected when it belongs to another algorithm, naming it and the model's algorithm", () => {
    const err = kubectlFails(
      ['apply', '--dry-run=server', '-n', NAMESPACE, '-f', '-'],
      withHyperparameters({ trees: 40 }),
    );
    expect(err).toContain('trees is a hyperparameter of algorithm gbdt only, not of mlp');
  });
});

describe('the RBAC, as the API server authorizes it', () => {
  const operator = `system:serviceaccount:${NAMESPACE}:rps-quest-operator`;
  const game = `system:serviceaccount:${NAMESPACE}:rps-quest-game`;
  /** `kubectl auth can-i`; a resource `kind/sub` asks about the subresource (status). */
  const can = (as: string, verb: string, resource: string, namespace: string | null = NAMESPACE): boolean => {
    const [kind, subresource] = resource.split('/');
    const res = spawnSync(
      binary('kubectl'),
      [
        '--kubeconfig',
        cp.kubeconfigPath,
        'auth',
        'can-i',
        verb,
        kind!,
        ...(subresource ? [`--subresource=${subresource}`] : []),
        `--as=${as}`,
        ...(namespace ? ['-n', namespace] : []),
      ],
      { encoding: 'utf8' },
    );
    return res.stdout.trim() === 'yes';
  };

  beforeAll(() => {
    kubectl(['apply', '-n', NAMESPACE, '-k', path.join(repo, 'config/rbac')]);
    kubectl(['apply', '-n', NAMESPACE, '-k', path.join(repo, 'config/game')]);
  });

  it('lets the operator run training Jobs, write the serving ConfigMap, record Events, hold its Lease', () => {
    expect(can(operator, 'create', 'jobs.batch')).toBe(true);
    expect(can(operator, 'delete', 'jobs.batch')).toBe(true);
    expect(can(operator, 'patch', 'jobs.batch')).toBe(true); // resumes a Job once its keys are written
    expect(can(operator, 'create', 'secrets')).toBe(true); // a training Job's keys
    expect(can(operator, 'patch', 'configmaps')).toBe(true);
    expect(can(operator, 'create', 'events')).toBe(true);
    expect(can(operator, 'patch', 'events')).toBe(true);
    expect(can(operator, 'update', 'leases.coordination.k8s.io')).toBe(true);
    expect(can(operator, 'watch', 'rpsmodels.rpsquest.dev')).toBe(true);
    expect(can(operator, 'update', 'rpsmodels.rpsquest.dev/status')).toBe(true);
    expect(can(operator, 'patch', 'promotionpolicies.rpsquest.dev/status')).toBe(true);
    expect(can(operator, 'list', 'pods')).toBe(true);
    expect(can(operator, 'list', 'endpointslices.discovery.k8s.io')).toBe(true);
    expect(can(operator, 'patch', 'rpsmodels.rpsquest.dev')).toBe(true); // its finalizer
  });

  it('lets the operator reconcile RpsModels in every namespace, and hold a Lease only in its own', () => {
    for (const ns of ['default', 'team-b']) {
      expect(can(operator, 'watch', 'rpsmodels.rpsquest.dev', ns)).toBe(true);
      expect(can(operator, 'update', 'rpsmodels.rpsquest.dev/status', ns)).toBe(true);
      expect(can(operator, 'create', 'jobs.batch', ns)).toBe(true);
      expect(can(operator, 'create', 'secrets', ns)).toBe(true);
      expect(can(operator, 'patch', 'configmaps', ns)).toBe(true);
      expect(can(operator, 'create', 'events', ns)).toBe(true);
      expect(can(operator, 'patch', 'events', ns)).toBe(true);
      expect(can(operator, 'update', 'leases.coordination.k8s.io', ns)).toBe(false);
    }
    expect(can(operator, 'list', 'rpsmodels.rpsquest.dev', null)).toBe(true); // the cluster-wide watch
  });

  it('keeps the operator out of Secrets (but creating one), Deployments and cluster-scoped resources', () => {
    for (const verb of ['get', 'list', 'watch', 'update', 'patch', 'delete']) {
      expect(can(operator, verb, 'secrets'), verb).toBe(false);
      expect(can(operator, verb, 'secrets', 'default'), verb).toBe(false);
    }
    expect(can(operator, 'patch', 'deployments.apps')).toBe(false);
    expect(can(operator, 'delete', 'configmaps', 'default')).toBe(false);
    expect(can(operator, 'update', 'rpsmodels.rpsquest.dev')).toBe(false);
    expect(can(operator, 'patch', 'promotionpolicies.rpsquest.dev')).toBe(false);
    expect(can(operator, 'create', 'customresourcedefinitions.apiextensions.k8s.io', null)).toBe(false);
    expect(can(operator, 'list', 'namespaces', null)).toBe(false);
  });

  it("lists the game Service's ready replicas from its EndpointSlices, as the operator's served check does", async () => {
    kubectl(
      ['apply', '-n', NAMESPACE, '-f', '-'],
      dump({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'rps-quest-game-abcde',
          labels: { 'kubernetes.io/service-name': 'rps-quest-game' },
        },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['10.0.0.2'], conditions: { ready: true } },
          { addresses: ['10.0.0.3'], conditions: { ready: false } },
          { addresses: ['10.0.0.1'] },
        ],
      }),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    expect(await endpointSliceReplicas(kc, NAMESPACE, 'rps-quest-game')()).toEqual([
      'http://10.0.0.1:8080',
      'http://10.0.0.2:8080',
    ]);
    expect(await endpointSliceReplicas(kc, NAMESPACE, 'no-such-service')()).toBeNull();
    kubectl(['delete', '-n', NAMESPACE, 'endpointslice', 'rps-quest-game-abcde']);
  });

  it('gives the game server no API rights at all', () => {
    for (const [verb, resource] of [
      ['get', 'configmaps'],
      ['list', 'pods'],
      ['get', 'secrets'],
      ['get', 'rpsmodels.rpsquest.dev'],
    ]) {
      expect(can(game, verb!, resource!), `${verb} ${resource}`).toBe(false);
    }
  });
});

describe('the synthetic-traffic CronJob, run once', () => {
  // A real game server in this process; the CronJob applied for real through an overlay whose
  // strategic-merge patch changes the URL and the thresholds (as docs/deploy.md shows); a Job created
  // from it, whose pod the executor runs as `rpsq simulate` with the token from the Secret.
  const token = (
    load(readFileSync(path.join(repo, 'config/default/internal-token.yaml'), 'utf8')) as {
      stringData: { token: string };
    }
  ).stringData.token;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let url: string;

  beforeAll(async () => {
    const appDir = path.join(dir, 'game');
    mkdirSync(path.join(appDir, 'manifests'), { recursive: true });
    app = await buildApp({
      logger: false,
      processMetrics: false,
      random: seededRandom(5),
      config: {
        internalToken: token,
        modelCacheDir: path.join(appDir, 'cache'),
        manifestDir: path.join(appDir, 'manifests'),
      },
    });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('plays the configured number of synthetic games through the game server API', async () => {
    const overlay = path.join(dir, 'simulate-overlay');
    mkdirSync(overlay, { recursive: true });
    writeFileSync(
      path.join(overlay, 'kustomization.yaml'),
      dump({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: NAMESPACE,
        resources: [path.relative(overlay, path.join(repo, 'config/simulate'))],
        patches: [
          {
            patch: dump({
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              metadata: { name: 'rps-quest-simulate' },
              spec: {
                jobTemplate: {
                  spec: {
                    template: {
                      spec: {
                        containers: [
                          {
                            name: 'simulate',
                            env: [
                              { name: 'RPS_GAME_URL', value: url },
                              { name: 'RPS_SIMULATE_GAMES', value: '3' },
                              { name: 'RPS_MIN_HUMAN_GAMES', value: '1' },
                              { name: 'RPS_WINDOW_MINUTES', value: '15' },
                            ],
                          },
                        ],
                      },
                    },
                  },
                },
              },
            }),
          },
        ],
      }),
    );
    kubectl(['apply', '-n', NAMESPACE, '-f', path.join(repo, 'config/default/internal-token.yaml')]);
    kubectl(['apply', '-k', overlay]);
    const executor = await startPodExecutor({
      kubeConfig: cp.kubeConfig,
      namespace: NAMESPACE,
      logDir: path.join(dir, 'pod-logs'),
      labelSelector: 'app.kubernetes.io/component=simulate',
    });
    try {
      kubectl(['create', 'job', '-n', NAMESPACE, 'simulate-once', '--from=cronjob/rps-quest-simulate']);
      // poll without blocking: the game server and the pod executor run in this process
      type JobStatus = { status?: { succeeded?: number; failed?: number } };
      let job: JobStatus = {};
      for (let i = 0; i < 240 && !job.status?.succeeded && !job.status?.failed; i++) {
        await new Promise((r) => setTimeout(r, 500));
        job = JSON.parse(
          kubectl(['get', 'job', '-n', NAMESPACE, 'simulate-once', '-o', 'json']),
        ) as JobStatus;
      }
      const pods = JSON.parse(
        kubectl(['get', 'pods', '-n', NAMESPACE, '-l', 'job-name=simulate-once', '-o', 'json']),
      ) as { items: { metadata: { name: string } }[] };
      const logs = pods.items.map((p) => executor.logs(NAMESPACE, p.metadata.name)).join('\n');
      expect(job.status?.succeeded, logs).toBe(1);
      // no human game in the window: it played, and said what it played
      expect(logs).toContain('"games":3');
    } finally {
      await executor.stop();
    }

    const res = await fetch(`${url}/api/v1/export/events?since=0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const rounds = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ExportedRound);
    expect(new Set(rounds.map((r) => r.gameId)).size).toBe(3);
    for (const r of rounds) {
      expect(r.synthetic).toBe(true);
      expect(SYNTHETIC_PLAYER_NAMES).toContain(r.player);
    }
  });
});
