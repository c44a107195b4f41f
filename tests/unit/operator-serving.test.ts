import { describe, expect, it } from 'vitest';
import { ServingManifestSchema, validate } from '../../core/index.ts';
import {
  buildManifest,
  manifestText,
  servedState,
  servingConfigMapName,
  type ServedReport,
} from '../../operator/decisions/serving.ts';
import { failureMessage, jobView, trainingJob } from '../../operator/decisions/training-job.ts';
import type { RpsModel } from '../../operator/resources.ts';
import { storedSpec } from '../support/crd-defaults.ts';

const model: RpsModel = {
  apiVersion: 'rpsquest.dev/v1alpha1',
  kind: 'RpsModel',
  metadata: {
    name: 'brian',
    namespace: 'ns',
    uid: 'uid-1',
    resourceVersion: '1',
    generation: 1,
    creationTimestamp: 't',
  },
  spec: storedSpec({
    displayName: 'Brian',
    algorithm: 'mlp',
    hyperparameters: { hiddenUnits: [8] },
    training: {
      seed: 7,
      maxEvents: 1000,
      bootstrapGames: 20,
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 60,
    },
    serving: { deploymentName: 'game' },
  }),
};
const sha = (c: string) => c.repeat(64);
const versions = [
  { name: 'v1', uri: 's3://rps-models/brian/v1/model.onnx', sha256: sha('1'), trainedAt: 't' },
  {
    name: 'v2',
    uri: 's3://rps-models/brian/v2/model.onnx',
    sha256: sha('2'),
    trainedAt: 't',
    featureSet: 'rps-features/v2',
  },
];

describe('serving manifest', () => {
  const manifest = buildManifest(
    model,
    { Production: 'v1', B: 'v2', Shadow1: 'v1', Shadow2: 'v2' },
    versions,
    { Production: 0.8, B: 0.2 },
  )!;

  it('is this model key of <deployment>-models, valid against the shared schema', () => {
    expect(servingConfigMapName(model)).toBe('game-models');
    expect(validate(ServingManifestSchema, manifest).ok).toBe(true);
    expect(manifest).toMatchObject({
      model: 'brian',
      displayName: 'Brian',
      algorithm: 'mlp',
      featureSet: 'rps-features/v2',
      trafficSplit: { Production: 0.8, B: 0.2 },
    });
    // each alias names its version's feature set; a record from before feature sets reads v1
    expect(manifest.aliases.B).toEqual({
      version: 'v2',
      uri: versions[1]!.uri,
      sha256: sha('2'),
      featureSet: 'rps-features/v2',
    });
    expect(manifest.aliases.Production?.featureSet).toBe('rps-features/v1');
    expect(manifestText(manifest)).toBe(manifestText(structuredClone(manifest)));
  });

  it('is not written before there is a Production version', () => {
    expect(buildManifest(model, {}, [], { Production: 0.5, B: 0.5 })).toBeNull();
  });

  const report = (over: Partial<ServedReport> = {}): ServedReport => ({
    model: 'brian',
    manifest: 'present',
    trafficSplit: { Production: 0.8, B: 0.2 },
    aliases: {
      Production: { version: 'v1', sha256: sha('1'), loaded: true },
      B: { version: 'v2', sha256: sha('2'), loaded: true },
      Shadow1: { version: 'v1', sha256: sha('1'), loaded: true },
      Shadow2: { version: 'v2', sha256: sha('2'), loaded: true },
    },
    ...over,
  });

  it('is served when the game server reports every alias loaded with the same sha256', () => {
    expect(servedState(manifest, report())).toEqual({
      served: true,
      message: 'the game server serves Production=v1, B=v2, Shadow1=v1, Shadow2=v2',
    });
  });

  it('is not served while an alias differs, is still loading, or the split differs', () => {
    expect(servedState(manifest, undefined).served).toBe(false);
    const old = report({
      aliases: { ...report().aliases, Production: { version: 'v0', sha256: sha('0'), loaded: true } },
    });
    expect(servedState(manifest, old)).toMatchObject({
      served: false,
      message: 'Production: serves v0, manifest says v1',
    });
    const loading = report({
      aliases: { ...report().aliases, B: { version: 'v2', sha256: sha('2'), loaded: false } },
      lastError: 'sha mismatch',
    });
    expect(servedState(manifest, loading).message).toBe('B: v2 is not loaded yet (last error: sha mismatch)');
    expect(servedState(manifest, report({ trafficSplit: { Production: 0.5, B: 0.5 } })).served).toBe(false);
  });
});

describe('training Job', () => {
  it('follows the trainer contract', () => {
    const job = trainingJob(
      model,
      'v3',
      'trainNow',
      {
        image: 'img:1',
        dataUrl: 'http://game:8080',
        s3Endpoint: 'http://minio:9000',
        s3Bucket: 'rps-models',
      },
      'brian-train-v3-s3-0a1b2c3d',
    );
    expect(job.metadata).toMatchObject({
      name: 'brian-train-v3',
      labels: {
        'app.kubernetes.io/name': 'rps-quest',
        'app.kubernetes.io/component': 'trainer',
        'rpsquest.dev/model': 'brian',
        'rpsquest.dev/version': 'v3',
      },
      ownerReferences: [{ kind: 'RpsModel', name: 'brian', uid: 'uid-1', controller: true }],
    });
    expect(job.metadata.annotations).toMatchObject({
      'rpsquest.dev/s3-secret': 'brian-train-v3-s3-0a1b2c3d',
    });
    expect(job.spec).toMatchObject({
      // no pod before the operator has written the Job's keys and resumed it
      suspend: true,
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 60,
    });
    const c = (
      job.spec as {
        template: {
          spec: {
            containers: {
              name: string;
              image: string;
              command: string[];
              env: { name: string; value?: string }[];
            }[];
          };
        };
      }
    ).template.spec.containers[0]!;
    expect([c.name, c.image, c.command]).toEqual(['trainer', 'img:1', ['rpsq', 'train']]);
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      RPS_MODEL: 'brian',
      RPS_VERSION: 'v3',
      RPS_ALGORITHM: 'mlp',
      RPS_HYPERPARAMETERS: '{"hiddenUnits":[8]}',
      RPS_DATA_URL: 'http://game:8080',
      RPS_SEED: '7',
      RPS_MAX_EVENTS: '1000',
      RPS_BOOTSTRAP_GAMES: '20',
      RPS_TRIGGER: 'trainNow',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'rps-models',
    });
    // the Job's own keys, from the Secret it names
    const secretRefs = Object.fromEntries(
      (c.env as { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[])
        .filter((e) => e.name.startsWith('S3_') && e.valueFrom)
        .map((e) => [e.name, e.valueFrom!.secretKeyRef]),
    );
    expect(secretRefs).toEqual({
      S3_ACCESS_KEY: { name: 'brian-train-v3-s3-0a1b2c3d', key: 'accessKey' },
      S3_SECRET_KEY: { name: 'brian-train-v3-s3-0a1b2c3d', key: 'secretKey' },
      S3_SESSION_TOKEN: { name: 'brian-train-v3-s3-0a1b2c3d', key: 'sessionToken' },
    });
    expect(c.env.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'RPS_DATA_TOKEN',
        'RPS_MIN_TOTAL_EVENTS',
        'RPS_SYNTHETIC_STRIDE',
        'RPS_FEATURE_SET',
      ]),
    );
  });

  it('passes the input methods to train on only when the RpsModel names them', () => {
    const settings = {
      image: 'img:1',
      dataUrl: 'http://game:8080',
      s3Endpoint: 'http://m:9000',
      s3Bucket: 'b',
    };
    const inputsOf = (m: typeof model) =>
      (
        trainingJob(m, 'v3', 'trainNow', settings, 'keys').spec as {
          template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
        }
      ).template.spec.containers[0]!.env.find((e) => e.name === 'RPS_INPUTS')?.value;
    expect(inputsOf(model)).toBeUndefined();
    const noCamera = {
      ...model,
      spec: { ...model.spec, training: { ...model.spec.training, inputs: ['click', 'key'] } },
    };
    expect(inputsOf(noCamera as typeof model)).toBe('click,key');
  });

  it('reads Job state and the trainer failure message', () => {
    const base = {
      apiVersion: 'batch/v1' as const,
      kind: 'Job' as const,
      metadata: { name: 'j', namespace: 'n', uid: 'u', labels: { 'rpsquest.dev/version': 'v2' } },
      spec: {},
    };
    expect(jobView({ ...base, status: { active: 1 } })).toEqual({
      name: 'j',
      uid: 'u',
      version: 'v2',
      state: 'active',
    });
    expect(
      jobView({
        ...base,
        status: { conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: 'T' }] },
      }),
    ).toMatchObject({ state: 'failed', finishedAt: 'T' });
    expect(jobView({ ...base, status: { conditions: [{ type: 'Complete', status: 'True' }] } }).state).toBe(
      'succeeded',
    );
    expect(failureMessage('{"model":"m","error":"hyperparameter x is invalid"}\n', 2)).toBe(
      'hyperparameter x is invalid (exit code 2: invalid hyperparameters or configuration)',
    );
    expect(
      failureMessage(undefined, undefined, 'DeadlineExceeded: Job was active longer than specified deadline'),
    ).toBe('DeadlineExceeded: Job was active longer than specified deadline');
  });
});
