import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import type { ServingManifest } from '../../core/index.ts';
import type { RpsModel } from '../../operator/resources.ts';
import type { Manager } from '../../operator/manager.ts';
import {
  CONFIGMAP,
  NAMESPACE,
  apply,
  condition,
  eventually,
  getModel,
  jobsOf as jobsOfModel,
  modelYaml,
  patchModelSpec,
  startOperatorEnv,
  type OperatorEnv,
} from './operator-fixtures.ts';

let env: OperatorEnv;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv();
  operator = await env.startOperator();
});

afterAll(async () => {
  await env?.stop();
});

const jobsOf = (model: string) => jobsOfModel(env, model);

async function trainNow(model: string, value: string): Promise<void> {
  await env.kubectl([
    '-n',
    NAMESPACE,
    'annotate',
    'rpsm',
    model,
    `rpsquest.dev/train-now=${value}`,
    '--overwrite',
  ]);
}

const patchSpec = (model: string, spec: object) => patchModelSpec(env, model, spec);

async function untilVersion(model: string, version: string): Promise<RpsModel> {
  return eventually(`${model} ${version} registered`, async () => {
    const m = await getModel(env, model);
    return m.status?.versions?.some((v) => v.name === version) && !m.status.training?.version ? m : undefined;
  });
}

async function untilServed(model: string, check: (m: RpsModel) => boolean): Promise<RpsModel> {
  return eventually(`${model} served`, async () => {
    const m = await getModel(env, model);
    return check(m) &&
      condition(m, 'Served')?.status === 'True' &&
      m.status?.observedGeneration === m.metadata.generation
      ? m
      : undefined;
  });
}

const reconciles = async () =>
  (await operator.metrics.reconciles.get()).values
    .filter((v) => v.labels.kind === 'RpsModel')
    .reduce((sum, v) => sum + v.value, 0);

/**
 * The value of one series in a Prometheus text scrape: the sample of `name` whose labels include
 * `labels` (null when there is none).
 */
function scrapedValue(scrape: string, name: string, labels: Record<string, string>): number | null {
  for (const line of scrape.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return null;
}

async function manifestOf(model: string): Promise<ServingManifest | undefined> {
  const cm = await env.kube.core
    .readNamespacedConfigMap({ name: CONFIGMAP, namespace: NAMESPACE })
    .catch(() => null);
  const text = cm?.data?.[`${model}.json`];
  return text ? (JSON.parse(text) as ServingManifest) : undefined;
}

describe('RpsModel lifecycle on a real API server, MinIO and trainer', () => {
  it('trains v1 with a Job of the contract, registers it in every alias, serves it and becomes Ready', async () => {
    await apply(env, modelYaml('logan'));
    const job = await eventually('the training Job', async () => (await jobsOf('logan'))[0]);
    expect(job.metadata.name).toBe('logan-train-v1');
    expect(job.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'rps-quest',
      'app.kubernetes.io/component': 'trainer',
      'rpsquest.dev/model': 'logan',
      'rpsquest.dev/version': 'v1',
    });
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'RpsModel',
      name: 'logan',
      controller: true,
    });
    const spec = job.spec as {
      ttlSecondsAfterFinished: number;
      template: {
        spec: {
          containers: {
            name: string;
            command: string[];
            env: { name: string; value?: string; valueFrom?: unknown }[];
          }[];
        };
      };
    };
    expect(spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const container = spec.template.spec.containers[0]!;
    expect(container.name).toBe('trainer');
    expect(container.command).toEqual(['rpsq', 'train']);
    const envOf = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(envOf).toMatchObject({
      RPS_MODEL: 'logan',
      RPS_VERSION: 'v1',
      RPS_ALGORITHM: 'logistic',
      RPS_TRIGGER: 'created',
      RPS_DATA_URL: env.game.url,
      RPS_DATA_TOKEN: { secretKeyRef: { name: 'rps-quest-internal', key: 'token' } },
    });
    // its own keys, in a Secret it owns, minted for logan/v1
    const keysName = job.metadata.annotations!['rpsquest.dev/s3-secret']!;
    expect(keysName).toMatch(/^logan-train-v1-s3-[0-9a-f]{8}$/);
    for (const [name, key] of [
      ['S3_ACCESS_KEY', 'accessKey'],
      ['S3_SECRET_KEY', 'secretKey'],
      ['S3_SESSION_TOKEN', 'sessionToken'],
    ]) {
      expect(envOf[name!]).toEqual({ secretKeyRef: { name: keysName, key } });
    }
    const keys = await env.kube.core.readNamespacedSecret({ name: keysName, namespace: NAMESPACE });
    expect(keys.metadata?.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'logan-train-v1', uid: job.metadata.uid },
    ]);
    const keyOf = (k: string) => Buffer.from(keys.data![k]!, 'base64').toString();
    expect(keyOf('accessKey')).not.toBe(env.minio.users.minter.accessKey);
    const jobStore = new ArtifactStore({
      endpoint: env.minio.endpoint,
      accessKey: keyOf('accessKey'),
      secretKey: keyOf('secretKey'),
      sessionToken: keyOf('sessionToken'),
      bucket: env.minio.bucket,
      retries: 1,
    });
    await expect(jobStore.put('brian/v1/model.onnx', Buffer.from('x'))).rejects.toMatchObject({
      code: 'AccessDenied',
    });
    expect(JSON.parse(envOf.RPS_HYPERPARAMETERS as string)).toEqual({
      epochs: 3,
      batchSize: 256,
      patience: 1,
    });

    const ready = await eventually('logan Ready', async () => {
      const m = await getModel(env, 'logan');
      return condition(m, 'Ready')?.status === 'True' ? m : undefined;
    });
    expect(ready.status?.aliases).toEqual({ Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v1' });
    expect(ready.status?.versions?.map((v) => v.name)).toEqual(['v1']);
    const v1 = ready.status!.versions![0]!;
    expect(v1.uri).toBe(`s3://${env.minio.bucket}/logan/v1/model.onnx`);
    expect(v1.metrics?.accuracy).toBeGreaterThan(0);
    expect(condition(ready, 'Served')?.status).toBe('True');
    expect(ready.status?.observedGeneration).toBe(ready.metadata.generation);
    const manifest = await manifestOf('logan');
    expect(manifest?.aliases.Production).toEqual({
      version: 'v1',
      uri: v1.uri,
      sha256: v1.sha256,
      featureSet: 'rps-features/v2',
    });
    expect(v1.featureSet).toBe('rps-features/v2');
    expect(manifest?.trafficSplit).toEqual({ Production: 0.5, B: 0.5 });
    expect(operator.isLeader).toBe(true);

    // what Prometheus scrapes from the operator says the same: one Job created and succeeded, one
    // version registered, reconciles timed, this replica leading
    const scrape = await (await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`)).text();
    const value = (name: string, labels: Record<string, string> = {}) => scrapedValue(scrape, name, labels);
    expect(value('rpsquest_operator_training_jobs_total', { model: 'logan', result: 'created' })).toBe(1);
    expect(value('rpsquest_operator_training_jobs_total', { model: 'logan', result: 'succeeded' })).toBe(1);
    expect(value('rpsquest_operator_training_jobs_total', { model: 'logan', result: 'failed' })).toBeNull();
    expect(value('rpsquest_operator_events_total', { type: 'Normal', reason: 'VersionRegistered' })).toBe(1);
    expect(
      value('rpsquest_operator_reconciles_total', { kind: 'RpsModel', result: 'success' }),
    ).toBeGreaterThan(0);
    expect(value('rpsquest_operator_reconcile_duration_seconds_count', { kind: 'RpsModel' })).toBeGreaterThan(
      0,
    );
    const depth = value('rpsquest_operator_queue_depth', { kind: 'RpsModel' });
    expect(Number.isInteger(depth) && depth! >= 0).toBe(true);
    expect(value('rpsquest_operator_leader')).toBe(1);
    for (const name of ['rpsquest_operator_promotions_total', 'rpsquest_operator_last_p_value']) {
      expect(scrape).toContain(`# TYPE ${name} `);
    }
  });

  it('train-now trains v2, which enters Shadow2', async () => {
    await trainNow('logan', 'first');
    const m = await untilVersion('logan', 'v2');
    expect(m.status?.aliases).toEqual({ Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v2' });
    expect(m.status?.training?.lastTrainNow).toBe('first');
    expect(m.status?.aliasHistory?.at(-1)).toMatchObject({
      alias: 'Shadow2',
      from: 'v1',
      to: 'v2',
      reason: 'NewVersion',
    });
    const job = (await jobsOf('logan')).find((j) => j.metadata.name === 'logan-train-v2')!;
    const container = (
      job.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
    ).template.spec.containers[0]!;
    expect(container.env.find((e) => e.name === 'RPS_TRIGGER')?.value).toBe('trainNow');
    await untilServed('logan', (x) => x.status?.aliases?.Shadow2 === 'v2');
    expect((await manifestOf('logan'))?.aliases.Shadow2?.version).toBe('v2');
  });

  it('a pin moves Production, the game server follows, and Served waits until it does', async () => {
    env.game.loading = false;
    await patchSpec('logan', { aliases: { Production: 'v2' } });
    const pending = await eventually('Served=False while loading', async () => {
      const m = await getModel(env, 'logan');
      return condition(m, 'Served')?.reason === 'ServingPending' ? m : undefined;
    });
    expect(pending.status?.aliases?.Production).toBe('v2');
    expect(condition(pending, 'Ready')).toMatchObject({ status: 'False', reason: 'NotServed' });
    expect(pending.status?.aliasHistory?.at(-1)).toMatchObject({
      alias: 'Production',
      from: 'v1',
      to: 'v2',
      reason: 'Pinned',
    });
    env.game.loading = true;
    await untilServed('logan', (m) => m.status?.aliases?.Production === 'v2');
    expect((await manifestOf('logan'))?.aliases.Production?.version).toBe('v2');

    // declarative rollback
    await patchSpec('logan', { aliases: { Production: 'v1' } });
    const back = await untilServed('logan', (m) => m.status?.aliases?.Production === 'v1');
    expect(condition(back, 'Ready')?.status).toBe('True');
    expect((await manifestOf('logan'))?.aliases.Production?.version).toBe('v1');
    // a pin to a version that does not exist is reported, not applied
    await patchSpec('logan', { aliases: { Production: 'v9' } });
    const missing = await eventually('PinnedVersionMissing', async () => {
      const m = await getModel(env, 'logan');
      return condition(m, 'Ready')?.reason === 'PinnedVersionMissing' ? m : undefined;
    });
    expect(condition(missing, 'Ready')?.message).toContain('Production: v9');
    expect(missing.status?.aliases?.Production).toBe('v1');
    await patchSpec('logan', { aliases: null });
    await untilServed('logan', (m) => condition(m, 'Ready')?.status === 'True');
  });

  it('retention removes unprotected old versions and their artifacts', async () => {
    await patchSpec('logan', { retention: { keepVersions: 1 } });
    for (const [i, version] of ['v3', 'v4', 'v5'].entries()) {
      await trainNow('logan', `retention-${i}`);
      await untilVersion('logan', version);
    }
    const m = await eventually('v2 removed', async () => {
      const x = await getModel(env, 'logan');
      return x.status?.versions?.some((v) => v.name === 'v2') ? undefined : x;
    });
    // v1 (Production, B), v3 (Shadow1), v4 (B) are protected by aliases; v5 replaced v2 in Shadow2
    expect(m.status?.aliases).toEqual({ Production: 'v1', B: 'v4', Shadow1: 'v3', Shadow2: 'v5' });
    expect(m.status?.versions?.map((v) => v.name)).toEqual(['v1', 'v3', 'v4', 'v5']);
    expect(await env.store.list('logan/v2/')).toEqual([]);
    expect((await env.store.list('logan/v1/')).length).toBeGreaterThan(0);
  });

  it('suspend stops new training Jobs and says so; resuming trains what was asked', async () => {
    await patchSpec('logan', { training: { suspend: true } });
    await eventually('Suspended', async () => {
      const m = await getModel(env, 'logan');
      return (
        condition(m, 'Training')?.reason === 'Suspended' &&
        m.status?.observedGeneration === m.metadata.generation
      );
    });
    const before = await reconciles();
    await trainNow('logan', 'while-suspended');
    await eventually('a reconcile after the annotation', async () => (await reconciles()) > before);
    const m = await getModel(env, 'logan');
    expect(condition(m, 'Training')).toMatchObject({ status: 'False', reason: 'Suspended' });
    expect(m.status?.training?.lastTrainNow).not.toBe('while-suspended');
    expect((await jobsOf('logan')).map((j) => j.metadata.name)).not.toContain('logan-train-v6');

    await patchSpec('logan', { training: { suspend: false } });
    const resumed = await untilVersion('logan', 'v6');
    expect(resumed.status?.training?.lastTrainNow).toBe('while-suspended');
  });

  it('deleting a model removes its serving key, and its artifacts only when deleteArtifactsOnDelete is set', async () => {
    await apply(env, modelYaml('keeper'));
    await untilServed('keeper', (m) => m.status?.aliases?.Production === 'v1');
    expect((await getModel(env, 'keeper')).metadata.finalizers).toContain('rpsquest.dev/cleanup');
    await env.kubectl(['-n', NAMESPACE, 'delete', 'rpsm', 'keeper', '--wait=true', '--timeout=60s']);
    expect((await env.store.list('keeper/')).length).toBeGreaterThan(0);
    expect(await manifestOf('keeper')).toBeUndefined();
    // each model owns only its key of the shared ConfigMap: logan's stays
    const loganProduction = (await getModel(env, 'logan')).status?.aliases?.Production;
    expect(loganProduction).toMatch(/^v\d+$/);
    expect((await manifestOf('logan'))?.aliases.Production?.version).toBe(loganProduction);

    await patchSpec('logan', { retention: { deleteArtifactsOnDelete: true } });
    await eventually('spec observed', async () => {
      const m = await getModel(env, 'logan');
      return m.status?.observedGeneration === m.metadata.generation;
    });
    await env.kubectl(['-n', NAMESPACE, 'delete', 'rpsm', 'logan', '--wait=true', '--timeout=60s']);
    expect(await env.store.list('logan/')).toEqual([]);
    expect(await manifestOf('logan')).toBeUndefined();
    // the Jobs are owned by the model: the garbage collector removes them
    await eventually('Jobs collected', async () => (await jobsOf('logan')).length === 0);
  });
});
