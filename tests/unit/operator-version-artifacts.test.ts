import { describe, expect, it } from 'vitest';
import type { ArtifactMetadata } from '../../core/index.ts';
import { sha256Hex } from '../../lib/artifact-store.ts';
import { readVersionArtifacts, type ArtifactOwner } from '../../operator/version-artifacts.ts';

// The objects of one version as the trainer leaves them, in a map standing in for the bucket
// (the real store is exercised against MinIO in the integration tests).
const onnx = Buffer.from('an onnx model, as far as this check cares');

function metadata(overrides: Partial<ArtifactMetadata> = {}): ArtifactMetadata {
  return {
    schemaVersion: 1,
    model: 'logan',
    version: 'v3',
    algorithm: 'logistic',
    featureSet: 'rps-features/v2',
    classes: ['rock', 'paper', 'scissors'],
    hyperparameters: { l2: 0.01 },
    metrics: { accuracy: 0.41, logLoss: 1.05, baselineAccuracy: 0.36, rows: 400 },
    dataset: {
      events: 2000,
      games: 100,
      humanEvents: 0,
      syntheticEvents: 2000,
      from: null,
      to: null,
      sha256: sha256Hex(Buffer.from('rows')),
    },
    artifact: { sha256: sha256Hex(onnx), bytes: onnx.length },
    trainerVersion: '0.1.0',
    seed: 7,
    durationMs: 812,
    createdAt: '2026-01-02T03:04:05.000Z',
    ...overrides,
  };
}

function bucket(objects: Record<string, Buffer | string>) {
  return {
    bucket: 'rps-models',
    async get(key: string): Promise<Buffer | null> {
      const o = objects[key];
      return o === undefined ? null : Buffer.from(o);
    },
  };
}

const logan: ArtifactOwner = { metadata: { name: 'logan' }, spec: { algorithm: 'logistic' } };

describe('reading a trained version before it is registered', () => {
  it('accepts metadata that describes this version and a model.onnx with its sha256', async () => {
    const got = await readVersionArtifacts(
      bucket({ 'logan/v3/metadata.json': JSON.stringify(metadata()), 'logan/v3/model.onnx': onnx }),
      logan,
      'v3',
    );
    expect(got).toEqual({ ok: true, metadata: metadata(), uri: 's3://rps-models/logan/v3/model.onnx' });
  });

  it('refuses a model.onnx whose sha256 is not the one metadata.json names', async () => {
    const got = await readVersionArtifacts(
      bucket({
        'logan/v3/metadata.json': JSON.stringify(metadata()),
        'logan/v3/model.onnx': Buffer.concat([onnx, Buffer.from('!')]),
      }),
      logan,
      'v3',
    );
    const actual = sha256Hex(Buffer.concat([onnx, Buffer.from('!')]));
    expect(got).toEqual({
      ok: false,
      missing: false,
      error: `logan/v3/model.onnx has sha256 ${actual}, metadata.json says ${sha256Hex(onnx)}`,
    });
  });

  it('refuses metadata of another model, version or algorithm', async () => {
    for (const [overrides, described] of [
      [{ model: 'brian' }, 'brian v3 (logistic)'],
      [{ version: 'v2' }, 'logan v2 (logistic)'],
      [{ algorithm: 'mlp' as const }, 'logan v3 (mlp)'],
    ] as const) {
      const got = await readVersionArtifacts(
        bucket({
          'logan/v3/metadata.json': JSON.stringify(metadata(overrides)),
          'logan/v3/model.onnx': onnx,
        }),
        logan,
        'v3',
      );
      expect(got).toEqual({
        ok: false,
        missing: false,
        error: `logan/v3/metadata.json describes ${described}, expected logan v3 (logistic)`,
      });
    }
  });

  it('refuses another feature set, invalid or non-JSON metadata, and says which object is missing', async () => {
    const read = (objects: Record<string, Buffer | string>) =>
      readVersionArtifacts(bucket(objects), logan, 'v3');
    expect(
      await read({
        'logan/v3/metadata.json': JSON.stringify(metadata({ featureSet: 'rps-features/v1' })),
        'logan/v3/model.onnx': onnx,
      }),
    ).toMatchObject({
      ok: false,
      error:
        'logan/v3/metadata.json reads feature set rps-features/v1, but the model asked for rps-features/v2 (spec.featureSet)',
    });
    // a model that asks for v1 registers a v1 version
    const v1Owner: ArtifactOwner = { ...logan, spec: { ...logan.spec, featureSet: 'rps-features/v1' } };
    expect(
      await readVersionArtifacts(
        bucket({
          'logan/v3/metadata.json': JSON.stringify(metadata({ featureSet: 'rps-features/v1' })),
          'logan/v3/model.onnx': onnx,
        }),
        v1Owner,
        'v3',
      ),
    ).toMatchObject({ ok: true });
    const invalid = await read({
      'logan/v3/metadata.json': JSON.stringify({ ...metadata(), schemaVersion: 2 }),
      'logan/v3/model.onnx': onnx,
    });
    expect(invalid).toMatchObject({ ok: false, missing: false });
    expect(invalid.ok ? '' : invalid.error).toMatch(/^logan\/v3\/metadata.json is invalid: .*schemaVersion/);
    const broken = await read({ 'logan/v3/metadata.json': '{"schemaVersion":', 'logan/v3/model.onnx': onnx });
    expect(broken.ok ? '' : broken.error).toMatch(/^logan\/v3\/metadata.json is not JSON: /);
    expect(await read({ 'logan/v3/model.onnx': onnx })).toEqual({
      ok: false,
      missing: true,
      error: 'logan/v3/metadata.json is not in bucket rps-models',
    });
    expect(await read({ 'logan/v3/metadata.json': JSON.stringify(metadata()) })).toEqual({
      ok: false,
      missing: false,
      error: 'logan/v3/model.onnx is not in bucket rps-models',
    });
  });
});
