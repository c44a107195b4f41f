import { pino } from 'pino';
import type { TrainingGrant } from '../../lib/training-keys.ts';
import type { OperatorContext } from '../../operator/context.ts';
import type { ServedReport } from '../../operator/decisions/serving.ts';
import type { Job } from '../../operator/decisions/training-job.ts';
import { trainingSpecHash } from '../../operator/decisions/training.ts';
import type { Cache } from '../../operator/informer.ts';
import { OperatorMetrics } from '../../operator/metrics.ts';
import { storedSpec } from '../support/crd-defaults.ts';
import type { PromotionPolicy, RpsModel, RpsModelStatus, VersionRecord } from '../../operator/resources.ts';

// An OperatorContext whose boundaries (the API server, the object store, the game server, the
// Event recorder) are in-memory fakes that log each call in order. The real ones are exercised
// by the integration tests against a real kube-apiserver, MinIO and game server.

type Named = { metadata: { name: string; namespace: string } };

export class FakeCache<T extends Named> implements Cache<T> {
  constructor(public items: T[] = []) {}
  on(): void {}
  get(namespace: string, name: string): T | undefined {
    return this.items.find((i) => i.metadata.namespace === namespace && i.metadata.name === name);
  }
  list(): T[] {
    return this.items;
  }
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeOptions {
  now?: Date;
  models?: RpsModel[];
  policies?: PromotionPolicy[];
  jobs?: Job[];
  /** object store keys and contents; `storeDown` makes every store call throw */
  objects?: Record<string, Buffer>;
  storeDown?: Error;
  /** GET /api/v1/models of the game server, or the error it fails with */
  served?: ServedReport[] | Error;
  /** makes the serving ConfigMap's server-side apply fail */
  applyFails?: Error;
  /** makes deleting these artifact prefixes fail */
  deleteFails?: string[];
}

export function fakeContext(options: FakeOptions = {}) {
  const calls: string[] = [];
  const statusWrites: RpsModelStatus[] = [];
  const created: Job[] = [];
  const events: { type: string; reason: string; note: string }[] = [];
  const applied: Record<string, string> = {};
  const secrets: unknown[] = [];
  const models = new FakeCache(options.models ?? []);
  const store = {
    bucket: 'rps-models',
    async get(key: string) {
      calls.push(`store.get ${key}`);
      if (options.storeDown) throw options.storeDown;
      return options.objects?.[key] ?? null;
    },
    async exists(key: string) {
      calls.push(`store.exists ${key}`);
      if (options.storeDown) throw options.storeDown;
      return options.objects?.[key] !== undefined;
    },
    async deletePrefix(prefix: string) {
      calls.push(`store.deletePrefix ${prefix}`);
      if (options.deleteFails?.includes(prefix)) throw new Error(`cannot delete ${prefix}`);
      return 3;
    },
  };
  const kube = {
    custom: {
      async replaceNamespacedCustomObjectStatus(req: { body: RpsModel }) {
        calls.push(`status.write ${req.body.status?.training?.version ?? '-'}`);
        statusWrites.push(structuredClone(req.body.status ?? {}));
        const rv = String(Number(req.body.metadata.resourceVersion) + 1);
        return { ...req.body, metadata: { ...req.body.metadata, resourceVersion: rv } };
      },
      async patchNamespacedCustomObject(req: {
        plural: string;
        name: string;
        body: { metadata: { finalizers: string[] }; spec?: { suspend?: boolean } };
      }) {
        if (req.plural === 'jobs') {
          calls.push(`resume jobs ${req.name}`);
          return {};
        }
        calls.push(`finalizers ${req.body.metadata.finalizers.join(',')}`);
        const model = models.items.find((m) => m.metadata.name === req.name)!;
        return { ...model, metadata: { ...model.metadata, finalizers: req.body.metadata.finalizers } };
      },
      async createNamespacedCustomObject(req: { plural: string; body: Job }) {
        calls.push(`create ${req.plural} ${req.body.metadata.name}`);
        created.push(req.body);
        return { ...req.body, metadata: { ...req.body.metadata, uid: `uid-${req.body.metadata.name}` } };
      },
      async getNamespacedCustomObject(req: { plural: string; name: string }) {
        calls.push(`get ${req.plural} ${req.name}`);
        throw new ApiError(404, `${req.name} not found`);
      },
      async deleteNamespacedCustomObject(req: { plural: string; name: string }) {
        calls.push(`delete ${req.plural} ${req.name}`);
        return {};
      },
    },
    core: {
      async patchNamespacedConfigMap(req: { name: string; body: { data?: Record<string, string> } }) {
        calls.push(`configmap.apply ${req.name} ${Object.keys(req.body.data ?? {}).join(',')}`);
        if (options.applyFails) throw options.applyFails;
        Object.assign(applied, req.body.data);
        return {};
      },
      async createNamespacedSecret(req: { body: { metadata: { name: string } } }) {
        calls.push(`create secrets ${req.body.metadata.name.replace(/-[0-9a-f]{8}$/, '-<nonce>')}`);
        secrets.push(req.body);
        return req.body;
      },
      async listNamespacedPod() {
        calls.push('pods.list');
        return { items: [] };
      },
    },
  };
  const game = {
    async models() {
      calls.push('game.models');
      if (options.served instanceof Error) throw options.served;
      return options.served ?? [];
    },
    async countEvents(_after: number, upTo: number) {
      calls.push('game.countEvents');
      return upTo;
    },
    async drift() {
      throw new Error('no drift in this test');
    },
    async versionStats() {
      return [];
    },
  };
  const recorder = {
    async record(type: string, _subject: unknown, reason: string, _action: string, note: string) {
      calls.push(`event ${reason}`);
      events.push({ type, reason, note });
    },
    async normal(subject: unknown, reason: string, action: string, note: string) {
      await recorder.record('Normal', subject, reason, action, note);
    },
    async warning(subject: unknown, reason: string, action: string, note: string) {
      await recorder.record('Warning', subject, reason, action, note);
    },
  };
  const ctx = {
    kube,
    store,
    game: () => game,
    events: recorder,
    metrics: new OperatorMetrics({ defaultMetrics: false }),
    log: pino({ level: 'silent' }),
    jobSettings: () => ({
      image: 'rps-quest:test',
      dataUrl: 'http://game',
      s3Endpoint: 'http://minio:9000',
      s3Bucket: 'rps-models',
    }),
    async mintTrainingKeys(grant: TrainingGrant) {
      calls.push(`mint ${grant.model}/${grant.version} ${grant.lifetimeSeconds}s`);
      return {
        accessKey: 'AK',
        secretKey: 'SK',
        sessionToken: 'TOKEN',
        expiresAt: '2026-01-01T01:10:00.000Z',
      };
    },
    models,
    policies: new FakeCache(options.policies ?? []),
    jobs: new FakeCache(options.jobs ?? []),
    configMaps: new FakeCache<{
      metadata: { name: string; namespace: string };
      data?: Record<string, string>;
    }>(),
    now: () => options.now ?? new Date('2026-01-01T00:00:00.000Z'),
    triggerChecks: new Map(),
    enqueueModel: () => {},
    enqueuePolicy: () => {},
  } as unknown as OperatorContext;
  return { ctx, calls, statusWrites, created, events, applied, secrets };
}

export const SPEC = storedSpec({
  displayName: 'Logan',
  algorithm: 'logistic',
  serving: { deploymentName: 'game' },
});

export function version(name: string): VersionRecord {
  return {
    name,
    uri: `s3://rps-models/logan/${name}/model.onnx`,
    sha256: name.replace(/\D/g, '').repeat(64).slice(0, 64),
    trainedAt: '2025-12-01T00:00:00.000Z',
    featureSet: 'rps-features/v2',
    metrics: { accuracy: 0.41, logLoss: 1.05, baselineAccuracy: 0.34, rows: 200 },
  };
}

/** An RpsModel as the API server returns it, with the finalizer and the status given. */
export function storedModel(status?: RpsModelStatus, spec: Partial<RpsModel['spec']> = {}): RpsModel {
  return {
    apiVersion: 'rpsquest.dev/v1alpha1',
    kind: 'RpsModel',
    metadata: {
      name: 'logan',
      namespace: 'ns',
      uid: 'uid-logan',
      resourceVersion: '7',
      generation: 1,
      creationTimestamp: '2025-11-01T00:00:00.000Z',
      finalizers: ['rpsquest.dev/cleanup'],
    },
    spec: { ...SPEC, ...spec },
    ...(status ? { status } : {}),
  };
}

/** A model serving `versions` (the last one registered, Production the first), training idle. */
export function servingModel(names: string[], spec: Partial<RpsModel['spec']> = {}): RpsModel {
  return storedModel(
    {
      versions: names.map(version),
      aliases: { Production: names[0], B: names[0], Shadow1: names[0], Shadow2: names[0] },
      training: { specHash: trainingSpecHash({ ...SPEC, ...spec }), attempts: 0 },
    },
    spec,
  );
}
