import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArtifactMetadata } from '../../core/index.ts';
import { sha256Hex } from '../../lib/artifact-store.ts';
import { DirectoryStore, inspectVersion, uploadVersion } from '../../trainer/upload.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rps-trainer-upload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = new Uint8Array([8, 1, 2, 3]);
const metadata = {
  schemaVersion: 1,
  model: 'logan',
  version: 'v1',
  algorithm: 'logistic',
  featureSet: 'rps-features/v1',
  classes: ['rock', 'paper', 'scissors'],
  hyperparameters: {},
  metrics: { accuracy: 0.5, logLoss: 1, baselineAccuracy: 0.4, rows: 10 },
  dataset: {
    events: 10,
    games: 1,
    humanEvents: 10,
    syntheticEvents: 0,
    from: null,
    to: null,
    sha256: 'a'.repeat(64),
  },
  artifact: { sha256: sha256Hex(model), bytes: model.length },
  trainerVersion: '0.1.0',
  seed: 1,
  durationMs: 5,
  createdAt: '2025-01-01T00:00:00.000Z',
} satisfies ArtifactMetadata;

describe('version state in the store', () => {
  it('absent, then complete once all three objects are there', async () => {
    const store = new DirectoryStore(path.join(dir, 'a'));
    expect(await inspectVersion(store, 'logan', 'v1')).toEqual({ state: 'absent' });
    const keys = await uploadVersion(store, 'logan', 'v1', { model, metadata, dataset: Buffer.from('x') });
    expect(keys).toEqual(['logan/v1/dataset.ndjson.gz', 'logan/v1/model.onnx', 'logan/v1/metadata.json']);
    const state = await inspectVersion(store, 'logan', 'v1');
    expect(state.state).toBe('complete');
    expect(await inspectVersion(store, 'logan', 'v2')).toEqual({ state: 'absent' });
  });

  it('partial when metadata.json is missing, invalid, or does not match model.onnx', async () => {
    const store = new DirectoryStore(path.join(dir, 'b'));
    await store.put('logan/v1/model.onnx', Buffer.from(model));
    expect(await inspectVersion(store, 'logan', 'v1')).toMatchObject({
      state: 'partial',
      reason: 'metadata.json is missing',
      keys: ['logan/v1/model.onnx'],
    });
    await uploadVersion(store, 'logan', 'v1', { model, metadata, dataset: Buffer.from('x') });
    await store.put('logan/v1/model.onnx', Buffer.from([9, 9]));
    expect(await inspectVersion(store, 'logan', 'v1')).toMatchObject({
      state: 'partial',
      reason: 'model.onnx does not match the sha256 in metadata.json',
    });
    await store.put('logan/v1/metadata.json', Buffer.from(JSON.stringify({ ...metadata, seed: 'x' })));
    expect(await inspectVersion(store, 'logan', 'v1')).toMatchObject({
      state: 'partial',
      reason: 'metadata.json is invalid: /seed: must be integer',
    });
    expect(await store.deletePrefix('logan/v1/')).toBe(3);
    expect(await inspectVersion(store, 'logan', 'v1')).toEqual({ state: 'absent' });
  });
});
