import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../app/build-app.ts';
import type { AppConfig } from '../../app/config.ts';
import { simulate } from '../../app/simulate.ts';
import { startManifestSync } from '../../hack/manifest-sync.ts';
import {
  coldStartCorpus,
  seededRandom,
  type SyntheticPlayerName,
  type ExportedRound,
  type ServingManifest,
  type VersionStats,
} from '../../core/index.ts';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import { asExportedRounds } from '../unit/trainer-fixtures.ts';
import { waitEstablished } from './crd-server.ts';
import {
  binary,
  freePort,
  startControlPlane,
  startMinio,
  startPodExecutor,
  startProcess,
  type ControlPlane,
  type Managed,
  type MinioServer,
  type PodExecutor,
} from '../../hack/harness/index.ts';
import type { OperatorConfig } from '../../operator/config.ts';
import type { Job } from '../../operator/decisions/training-job.ts';
import { makeKube, type Kube } from '../../operator/kube.ts';
import { Manager } from '../../operator/manager.ts';
import {
  GROUP,
  RPS_MODELS,
  PROMOTION_POLICIES,
  VERSION,
  type PromotionPolicy,
  type RpsModel,
} from '../../operator/resources.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
export const NAMESPACE = 'rps-quest';
export const TOKEN = 'test-internal-token-0123456789';
export const CONFIGMAP = 'rps-quest-game-models';

/**
 * A stand-in for the game server's operator-facing endpoints (the real app is tested on its
 * own): /api/v1/models reports the manifests of the real ConfigMap as loaded (unless `loading`
 * is off), /api/v1/stats/versions answers what a test sets, /api/v1/export/events serves
 * cold-start rounds so that the real trainer and the data gates have something to read.
 */
export class StubGameServer {
  readonly app: FastifyInstance;
  url = '';
  loading = true;
  stats = new Map<string, VersionStats[]>();
  statsQueries: { model: string; since: string; excludeSynthetic: string }[] = [];
  events: ExportedRound[] = [];
  /** GET /api/v1/stats/drift replies per model (absent: 404) */
  drift = new Map<string, object>();

  constructor(private readonly kube: Kube) {
    this.app = Fastify();
    const auth = (header: string | undefined) => header === `Bearer ${TOKEN}`;
    this.app.get('/api/v1/models', async () => {
      const cm = await this.kube.core
        .readNamespacedConfigMap({ name: CONFIGMAP, namespace: NAMESPACE })
        .catch(() => null);
      const models = Object.values(cm?.data ?? {}).map((text) => {
        const m = JSON.parse(text) as ServingManifest;
        const aliases = Object.fromEntries(
          Object.entries(m.aliases).map(([alias, t]) => [
            alias,
            { version: t!.version, sha256: t!.sha256, loaded: this.loading },
          ]),
        );
        return {
          model: m.model,
          displayName: m.displayName,
          algorithm: m.algorithm,
          manifest: 'present',
          fallback: false,
          trafficSplit: m.trafficSplit,
          aliases,
        };
      });
      return { models };
    });
    this.app.get<{ Querystring: Record<string, string> }>('/api/v1/stats/versions', async (req, reply) => {
      if (!auth(req.headers.authorization)) return reply.code(401).send({ error: 'token' });
      const { model = '', since = '', excludeSynthetic = '' } = req.query;
      this.statsQueries.push({ model, since, excludeSynthetic });
      return {
        model,
        since,
        excludeSynthetic: excludeSynthetic === 'true',
        versions: this.stats.get(model) ?? [],
      };
    });
    this.app.get<{ Querystring: Record<string, string> }>('/api/v1/stats/drift', async (req, reply) => {
      if (!auth(req.headers.authorization)) return reply.code(401).send({ error: 'token' });
      const body = this.drift.get(req.query.model ?? '');
      return body ?? reply.code(404).send({ message: `no drift check for ${req.query.model}` });
    });
    this.app.get<{ Querystring: Record<string, string> }>('/api/v1/export/events', async (req, reply) => {
      if (!auth(req.headers.authorization)) return reply.code(401).send({ error: 'token' });
      const since = Number(req.query.since ?? 0);
      const limit = Number(req.query.limit ?? 10_000);
      const page = this.events.filter((e) => e.id > since).slice(0, limit);
      reply
        .header('content-type', 'application/x-ndjson')
        .header('x-next-since', String(page.at(-1)?.id ?? since));
      return page.map((e) => JSON.stringify(e) + '\n').join('');
    });
  }

  /** Makes `count` rounds of synthetic games available at the export endpoint. */
  setEvents(count: number): void {
    const games = coldStartCorpus({ games: Math.ceil(count / 5) + 1, seed: 7 });
    this.events = asExportedRounds(games, { bot: 'stub', synthetic: true, start: Date.now() }).slice(
      0,
      count,
    );
  }

  async start(): Promise<void> {
    const port = await freePort();
    await this.app.listen({ port, host: '127.0.0.1' });
    this.url = `http://127.0.0.1:${port}`;
  }
}

export interface OperatorEnv {
  dir: string;
  cp: ControlPlane;
  minio: MinioServer;
  executor: PodExecutor;
  kube: Kube;
  store: ArtifactStore;
  game: StubGameServer;
  kubectl(args: string[], input?: string): Promise<string>;
  /** the operator's configuration against this environment */
  config(overrides?: Partial<OperatorConfig>): OperatorConfig;
  /** an operator in this process */
  startOperator(overrides?: Partial<OperatorConfig>, options?: { now?: () => Date }): Promise<Manager>;
  /** an operator as its own process (`rpsq operator`), for killing; `compiled` runs `dist/cli.js` (make build) instead of the TypeScript through tsx */
  /** `compiled`: dist/cli.js instead of cli.ts through tsx; `nodeFlags`: Node/V8 flags before the script */
  spawnOperator(
    name: string,
    env?: Record<string, string>,
    options?: { compiled?: boolean; nodeFlags?: string[] },
  ): Managed;
  stop(): Promise<void>;
}

export interface OperatorEnvOptions {
  executorEnv?: Record<string, string>;
  /** which trainer pods the pod executor runs (default all); the others stay Pending */
  executorLabelSelector?: string;
  /** bind trainer pods to a Node whose kubelet serves their logs through the API server (`kubectl logs`) */
  podLogs?: boolean;
}

export async function startOperatorEnv(opts: OperatorEnvOptions = {}): Promise<OperatorEnv> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rps-operator-'));
  const started = await Promise.allSettled([startControlPlane({ dir, fsync: false }), startMinio({ dir })]);
  const [cpResult, minioResult] = started;
  if (cpResult.status === 'rejected' || minioResult.status === 'rejected') {
    if (cpResult.status === 'fulfilled') await cpResult.value.stop();
    if (minioResult.status === 'fulfilled') await minioResult.value.stop();
    throw cpResult.status === 'rejected' ? cpResult.reason : (minioResult as PromiseRejectedResult).reason;
  }
  const cp = cpResult.value;
  const minio = minioResult.value;
  try {
    return await prepareEnv(dir, cp, minio, opts);
  } catch (err) {
    await cp.stop();
    await minio.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function prepareEnv(
  dir: string,
  cp: ControlPlane,
  minio: MinioServer,
  opts: OperatorEnvOptions,
): Promise<OperatorEnv> {
  const kube = makeKube(cp.kubeConfig);
  const kubectl = async (args: string[], input?: string) => {
    const p = run(binary('kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args], { encoding: 'utf8' });
    if (input !== undefined) {
      p.child.stdin?.end(input);
    }
    return (await p).stdout;
  };
  await kubectl(['apply', '--server-side', '-f', path.join(repo, 'crds')]);
  await waitEstablished((...args) => kubectl(args));
  await kube.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  // the operator's own (as config/minio has it); the training Jobs get theirs from the operator
  await kube.core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: {
      metadata: { name: 'rps-quest-s3-minter' },
      stringData: minio.users.minter,
    },
  });
  await kube.core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: { metadata: { name: 'rps-quest-internal' }, stringData: { token: TOKEN } },
  });
  const executor = await startPodExecutor({
    kubeConfig: cp.kubeConfig,
    namespace: NAMESPACE,
    logDir: path.join(dir, 'pods'),
    env: { RPS_S3_RETRIES: '2', ...opts.executorEnv },
    ...(opts.executorLabelSelector ? { labelSelector: opts.executorLabelSelector } : {}),
    ...(opts.podLogs ? { servingCertDir: path.join(dir, 'pki', 'serving') } : {}),
  });
  const game = new StubGameServer(kube);
  await game.start();
  const store = new ArtifactStore({
    endpoint: minio.endpoint,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
    bucket: minio.bucket,
    retries: 2,
    backoffMs: 100,
  });
  const managers: Manager[] = [];
  const processes: Managed[] = [];
  const config = (overrides: Partial<OperatorConfig> = {}): OperatorConfig => ({
    namespace: NAMESPACE,
    watchNamespaces: [],
    gameUrl: game.url,
    gameUrlTemplate: 'http://rps-quest-game.{namespace}.svc:8080',
    gameUrls: {},
    internalToken: TOKEN,
    artifactStore: {
      endpoint: minio.endpoint,
      ...minio.users.operator,
      bucket: minio.bucket,
      retries: 2,
      backoffMs: 100,
    },
    keyMinter: minio.users.minter,
    trainerImage: 'rps-quest:test',
    leaderElection: false,
    leaseName: 'rps-quest-operator',
    lease: { durationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
    identity: 'test-operator',
    metricsPort: 0,
    workers: 4,
    logLevel: 'warn',
    ...overrides,
  });
  const env: OperatorEnv = {
    dir,
    cp,
    minio,
    executor,
    kube,
    store,
    game,
    kubectl,
    config,
    async startOperator(overrides = {}, options = {}) {
      const manager = new Manager({
        config: config(overrides),
        kubeConfig: cp.kubeConfig,
        log: pino({ level: process.env.OPERATOR_LOG_LEVEL ?? 'warn' }),
        resyncMs: 30_000,
        ...(options.now ? { now: options.now } : {}),
      });
      managers.push(manager);
      await manager.start();
      return manager;
    },
    spawnOperator(name, env = {}, options = {}) {
      const entry = options.compiled
        ? [path.join(repo, 'dist', 'cli.js')]
        : ['--import', 'tsx', path.join(repo, 'cli.ts')];
      const p = startProcess(name, process.execPath, [...(options.nodeFlags ?? []), ...entry, 'operator'], {
        logDir: path.join(dir, 'logs'),
        cwd: repo,
        env: {
          KUBECONFIG: cp.kubeconfigPath,
          NAMESPACE,
          RPS_GAME_URL: game.url,
          RPS_INTERNAL_TOKEN: TOKEN,
          S3_ENDPOINT: minio.endpoint,
          S3_ACCESS_KEY: minio.users.operator.accessKey,
          S3_SECRET_KEY: minio.users.operator.secretKey,
          S3_MINTER_ACCESS_KEY: minio.users.minter.accessKey,
          S3_MINTER_SECRET_KEY: minio.users.minter.secretKey,
          S3_BUCKET: minio.bucket,
          METRICS_PORT: '0',
          POD_NAME: name,
          LOG_LEVEL: 'info',
          ...env,
        },
      });
      processes.push(p);
      return p;
    },
    async stop() {
      for (const m of managers) await m.stop().catch(() => undefined);
      for (const p of processes) await p.stop().catch(() => undefined);
      await executor.stop();
      await game.app.close();
      await cp.stop();
      await env.minio.stop();
      if (!process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

// --- object helpers ------------------------------------------------------------------------

export async function getModel(env: OperatorEnv, name: string): Promise<RpsModel> {
  return (await env.kube.custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NAMESPACE,
    plural: RPS_MODELS,
    name,
  })) as RpsModel;
}

export async function getPolicy(env: OperatorEnv, name: string): Promise<PromotionPolicy> {
  return (await env.kube.custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NAMESPACE,
    plural: PROMOTION_POLICIES,
    name,
  })) as PromotionPolicy;
}

/** `kubectl patch rpsm <name> --type=merge` of the spec. */
export async function patchModelSpec(env: OperatorEnv, name: string, spec: object): Promise<void> {
  await env.kubectl(['-n', NAMESPACE, 'patch', 'rpsm', name, '--type=merge', '-p', JSON.stringify({ spec })]);
}

/** The training Jobs of a model (by its label). */
export async function jobsOf(env: OperatorEnv, model: string): Promise<Job[]> {
  const jobs = (await env.kube.custom.listNamespacedCustomObject({
    group: 'batch',
    version: 'v1',
    namespace: NAMESPACE,
    plural: 'jobs',
    labelSelector: `rpsquest.dev/model=${model}`,
  })) as { items: Job[] };
  return jobs.items;
}

/** Who holds the operator's leader Lease (undefined: nobody, or no Lease yet). */
export async function leaseHolder(
  env: OperatorEnv,
  name = 'rps-quest-operator',
): Promise<string | undefined> {
  const lease = (await env.kube.custom
    .getNamespacedCustomObject({
      group: 'coordination.k8s.io',
      version: 'v1',
      namespace: NAMESPACE,
      plural: 'leases',
      name,
    })
    .catch(() => undefined)) as { spec?: { holderIdentity?: string } } | undefined;
  return lease?.spec?.holderIdentity || undefined;
}

/** Polls until `check` returns a value (not undefined/false), or fails with the last observation. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The messages of the Events with `reason` about the object named `name`, oldest first. */
export async function eventMessages(env: OperatorEnv, name: string, reason: string): Promise<string[]> {
  const events = await env.cp.kubeConfig
    .makeApiClient(CoreV1Api)
    .listNamespacedEvent({ namespace: NAMESPACE });
  return events.items
    .filter((e) => e.involvedObject.name === name && e.reason === reason)
    .map((e) => e.message ?? '');
}

export function condition(
  obj: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } },
  type: string,
) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** A small, fast RpsModel (logistic, few epochs, a small cold-start corpus). */
export function modelYaml(name: string, extra: { spec?: string; metadata?: string } = {}): string {
  return `apiVersion: rpsquest.dev/v1alpha1
kind: RpsModel
metadata:
  name: ${name}
  namespace: ${NAMESPACE}
${extra.metadata ?? ''}
spec:
  displayName: ${name[0]!.toUpperCase()}${name.slice(1)}
  algorithm: logistic
  hyperparameters: { epochs: 3, batchSize: 256, patience: 1 }
  training:
    bootstrapGames: 12
    minTotalEvents: 150
    retryDelaySeconds: 1
    maxRetryDelaySeconds: 2
${extra.spec ?? ''}
`;
}

/**
 * Games Cal plays against Production v1 (trained on Hal) and B v2 (trained on Cal) before an A/B
 * decision. The bots sample their moves, so the win rates vary from run to run; in one run v2 won
 * 26 of 27 and v1 25 of 33 (p = 0.013, over alpha 0.01). At those rates 60 games (30 a side)
 * reach about p = 0.015, and 160 (80 a side) about p = 0.0002.
 */
export const CAL_GAMES = 160;

/**
 * RpsModel brian as the promotion tests through the real game server train it: rps-features/v1,
 * each run on the newest `window` rounds only, so that v1 can learn Hal and v2 Cal.
 */
export function halThenCalModelYaml(window: number): string {
  return `apiVersion: rpsquest.dev/v1alpha1
kind: RpsModel
metadata:
  name: brian
  namespace: ${NAMESPACE}
spec:
  displayName: Brian
  algorithm: logistic
  featureSet: rps-features/v1
  hyperparameters: { epochs: 40, learningRate: 0.05, batchSize: 64, patience: 5 }
  training:
    maxEvents: ${window}
    minTotalEvents: ${window}
    bootstrapGames: 0
    retryDelaySeconds: 1
    maxRetryDelaySeconds: 2
`;
}

export async function apply(env: OperatorEnv, yaml: string): Promise<string> {
  return env.kubectl(['apply', '-f', '-'], yaml);
}

// --- the real game server ------------------------------------------------------------------

export interface RealGameServer {
  app: FastifyInstance;
  url: string;
  /** synthetic games of one player against `bot` through the public API, until at least `rounds` rounds were played */
  play(bot: string, player: SyntheticPlayerName, rounds: number, seed: number): Promise<void>;
  /** stops copying the manifest ConfigMap into this server's directory (the server lags it) */
  pauseManifests(): void;
  /** copies it again */
  resumeManifests(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The app (buildApp, listening on a free port) against this environment's MinIO, serving the
 * manifest ConfigMap of `namespace` (default rps-quest) as the kubelet would mount it (synced into a directory). Start an operator
 * with `{ gameUrl: server.url }` to have it and its trainer Jobs talk to it.
 */
export async function startRealGameServer(
  env: OperatorEnv,
  options: {
    config?: Partial<AppConfig>;
    seed?: number;
    namespace?: string;
    /** the address it listens on (default 127.0.0.1; its `url` names 127.0.0.1 either way) */
    host?: string;
  } = {},
): Promise<RealGameServer> {
  const base = mkdtempSync(path.join(env.dir, 'app-'));
  const manifestDir = path.join(base, 'manifests');
  mkdirSync(manifestDir, { recursive: true });
  const startSync = () =>
    startManifestSync({
      kubeConfig: env.cp.kubeConfig,
      namespace: options.namespace ?? NAMESPACE,
      configMap: CONFIGMAP,
      dir: manifestDir,
      pollMs: 200,
    });
  let sync = await startSync();
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({
      logger: false,
      processMetrics: false,
      driftMonitor: false,
      random: seededRandom(options.seed ?? 11),
      config: {
        manifestDir,
        manifestPollMs: 200,
        modelCacheDir: path.join(base, 'models'),
        internalToken: TOKEN,
        rateLimitPerMinute: 1_000_000,
        artifactStore: {
          endpoint: env.minio.endpoint,
          ...env.minio.users.game,
          bucket: env.minio.bucket,
        },
        ...options.config,
      },
    });
    await app.listen({ port: 0, host: options.host ?? '127.0.0.1' });
  } catch (err) {
    sync.stop();
    await app?.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const listening = app;
  const url = `http://127.0.0.1:${port}`;
  return {
    app: listening,
    url,
    async play(bot, player, rounds, seed) {
      let played = 0;
      for (let s = seed; played < rounds; s++) {
        played += (await simulate({ url, games: 10, bots: [bot], players: [player], seed: s })).rounds;
      }
    },
    pauseManifests() {
      sync.stop();
    },
    async resumeManifests() {
      sync.stop();
      sync = await startSync();
    },
    async stop() {
      sync.stop();
      await listening.close();
    },
  };
}

interface CrdRule {
  rule: string;
  fieldPath?: string;
}
const RULES = '/spec/versions/0/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations';

/**
 * Runs `fn` until it succeeds while the installed RpsModel CRD lacks the random search's leaf-limit
 * rule, as a CRD from before that rule did; returns the rule. It stands in for an object admitted
 * then, which the trainer still refuses.
 */
export async function withoutRandomLeafRule(env: OperatorEnv, fn: () => Promise<unknown>): Promise<CrdRule> {
  const crd = JSON.parse(await env.kubectl(['get', 'crd', 'rpsmodels.rpsquest.dev', '-o', 'json'])) as {
    spec: {
      versions: {
        schema: { openAPIV3Schema: { properties: { spec: { 'x-kubernetes-validations': CrdRule[] } } } };
      }[];
    };
  };
  const rules = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'];
  const i = rules.findIndex((r) => r.fieldPath === '.search.random.ranges');
  const patch = (op: object) =>
    env.kubectl(['patch', 'crd', 'rpsmodels.rpsquest.dev', '--type=json', '-p', JSON.stringify([op])]);
  await patch({ op: 'remove', path: `${RULES}/${i}` });
  try {
    // the API server takes the new schema in a moment
    await eventually('the older schema', async () =>
      fn().then(
        () => true,
        () => false,
      ),
    );
  } finally {
    await patch({ op: 'add', path: `${RULES}/${i}`, value: rules[i] });
  }
  return rules[i]!;
}
