import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALIASES, seededRandom, type Alias } from '../../core/index.ts';
import { buildApp } from '../../app/build-app.ts';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import { startMinio, type MinioServer } from '../../hack/harness/index.ts';
import {
  artifactMetadata,
  playerReference,
  servingManifest,
  writeManifest,
  type ModelVersion,
} from '../support/app-fixtures.ts';
import { tinyOnnxModel } from '../support/tiny-onnx.ts';

const BOTS = ['brian', 'forrest', 'logan'] as const;
const dir = mkdtempSync(join(tmpdir(), 'app-minio-'));
let minio: MinioServer;
let store: ArtifactStore;
const apps: FastifyInstance[] = [];

function version(model: string, n: number): ModelVersion {
  return {
    version: `v${n}`,
    bytes: tinyOnnxModel({ hidden: 16, seed: n * 31 + model.length, tag: `${model}-v${n}` }),
  };
}

async function upload(model: string, v: ModelVersion): Promise<void> {
  await store.put(`${model}/${v.version}/model.onnx`, v.bytes);
}

/** Production v1, B v2, Shadow1 v3, Shadow2 v4 for each bot. */
function fourAliases(model: string): Partial<Record<Alias, ModelVersion>> {
  return Object.fromEntries(ALIASES.map((alias, i) => [alias, version(model, i + 1)]));
}

beforeAll(async () => {
  minio = await startMinio({ dir });
  store = new ArtifactStore({
    endpoint: minio.endpoint,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
    bucket: minio.bucket,
  });
  for (const model of BOTS) for (let n = 1; n <= 6; n++) await upload(model, version(model, n));
});

afterAll(async () => {
  await minio?.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

async function build(name: string, cacheDir = join(dir, `${name}-cache`)) {
  const app = await buildApp({
    logger: false,
    processMetrics: false,
    random: seededRandom(5),
    config: {
      manifestDir: join(dir, `${name}-manifests`),
      modelCacheDir: cacheDir,
      manifestPollMs: 3_600_000,
      artifactStore: { endpoint: minio.endpoint, ...minio.users.game, bucket: minio.bucket },
    },
  });
  apps.push(app);
  return app;
}

async function served(app: FastifyInstance, model: string) {
  const { models } = (await app.inject('/api/v1/models')).json();
  return models.find((m: { model: string }) => m.model === model) as {
    aliases: Record<string, { version: string; sha256: string; loaded: boolean }>;
    fallback: boolean;
    lastError?: string;
  };
}

async function rescan(app: FastifyInstance) {
  await app.rps.watcher!.scan();
  await app.rps.registry.settled();
}

async function playGame(app: FastifyInstance, bot: string) {
  const start = (await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot } })).json();
  for (let round = 1; ; round++) {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/games/${start.gameId}/moves`,
      payload: { round, move: ['rock', 'paper', 'scissors'][round % 3] },
    });
    expect(res.statusCode).toBe(200);
    if (res.json().finished) return { gameId: start.gameId as string, rounds: round };
  }
}

describe('serving models from MinIO', () => {
  it('loads 3 bots × 4 aliases, caches them by sha256 and predicts with all four', async () => {
    for (const model of BOTS)
      writeManifest(join(dir, 'cold-manifests'), servingManifest(model, fourAliases(model)));
    const app = await build('cold');
    for (const model of BOTS) {
      const m = await served(app, model);
      expect(m.fallback).toBe(false);
      expect(Object.fromEntries(Object.entries(m.aliases).map(([a, s]) => [a, s.version]))).toEqual({
        Production: 'v1',
        B: 'v2',
        Shadow1: 'v3',
        Shadow2: 'v4',
      });
    }
    expect(readdirSync(join(dir, 'cold-cache')).filter((f) => f.endsWith('.onnx'))).toHaveLength(12);
    const { gameId, rounds } = await playGame(app, 'forrest');
    const perRound = app.rps
      .db!.prepare(
        'SELECT COUNT(*) AS n FROM predictions p JOIN rounds r ON r.id = p.round_id WHERE r.game_id = ?',
      )
      .get(gameId) as { n: number };
    expect(perRound.n).toBe((rounds - 3) * 4);
    expect((await app.inject('/metrics')).body).not.toContain('rpsq_fallback_moves_total{');
  });

  it('swaps a new version in while games are being played', async () => {
    const manifests = join(dir, 'swap-manifests');
    writeManifest(
      manifests,
      servingManifest('brian', { Production: version('brian', 1), B: version('brian', 1) }),
    );
    const app = await build('swap');
    const games = Promise.all(Array.from({ length: 6 }, () => playGame(app, 'brian')));
    writeManifest(
      manifests,
      servingManifest('brian', {
        Production: version('brian', 5),
        B: version('brian', 1),
        Shadow1: version('brian', 6),
      }),
    );
    await rescan(app);
    await games; // every move answered 200 through the swap
    const m = await served(app, 'brian');
    expect(m.aliases.Production!.version).toBe('v5');
    expect(m.aliases.Shadow1!.version).toBe('v6');
    expect(m.lastError).toBeUndefined();
  });

  it('refuses an artifact whose sha256 does not match and keeps the last good model', async () => {
    const manifests = join(dir, 'sha-manifests');
    writeManifest(
      manifests,
      servingManifest('logan', { Production: version('logan', 1), Shadow2: version('logan', 2) }),
    );
    const app = await build('sha');
    const forged = servingManifest('logan', {
      Production: version('logan', 1),
      Shadow2: version('logan', 3),
    });
    forged.aliases.Shadow2!.sha256 = 'f'.repeat(64);
    writeManifest(manifests, forged);
    await rescan(app);
    const m = await served(app, 'logan');
    expect(m.aliases.Shadow2!.version).toBe('v2');
    expect(m.lastError).toContain(`but the manifest expects ${'f'.repeat(64)}; refusing to load it`);
    expect((await app.inject('/metrics')).body).toMatch(
      /rpsq_model_load_failures_total\{bot="logan",reason="sha256_mismatch"\} [1-9]/,
    );
    expect(readdirSync(join(dir, 'sha-cache'))).not.toContain(`${'f'.repeat(64)}.onnx`);
  });

  it('reports a missing object and keeps serving', async () => {
    const manifests = join(dir, 'missing-manifests');
    writeManifest(manifests, servingManifest('brian', { Production: version('brian', 1) }));
    const app = await build('missing');
    writeManifest(manifests, servingManifest('brian', { Production: version('brian', 99) }));
    await rescan(app);
    const m = await served(app, 'brian');
    expect(m.aliases.Production!.version).toBe('v1');
    expect(m.lastError).toContain('s3://rps-models/brian/v99/model.onnx does not exist in the object store');
    expect((await app.inject('/metrics')).body).toMatch(/reason="artifact_missing"\} [1-9]/);
  });

  it('reads metadata.json next to the model for the drift reference, and serves without one', async () => {
    const v1 = version('logan', 1);
    const v2 = version('logan', 2);
    const reference = playerReference('Gus', 30, 5);
    const metadata = artifactMetadata('logan', v1, reference, 'logistic');
    await store.put('logan/v1/metadata.json', Buffer.from(JSON.stringify(metadata)));
    const manifests = join(dir, 'meta-manifests');
    writeManifest(manifests, servingManifest('logan', { Production: v1, B: v2 }));
    const app = await build('meta');
    const withReference = await app.rps.drift.check('logan');
    expect(readdirSync(join(dir, 'meta-cache'))).toContain(`${metadata.artifact.sha256}.metadata.json`);
    expect(withReference).toMatchObject({ version: 'v1', rows: 0, insufficientData: true });
    expect(withReference.moveDistribution.reference).toEqual(reference.moveShares);

    // v2 has no metadata.json: it serves all the same, and drift has nothing to compare with
    writeManifest(manifests, servingManifest('logan', { Production: v2, B: v1 }));
    await rescan(app);
    const m = await served(app, 'logan');
    expect(m.aliases.Production!.version).toBe('v2');
    expect(m.lastError).toBeUndefined();
    const without = await app.rps.drift.check('logan');
    expect(without).toMatchObject({ version: 'v2', insufficientData: true, drifted: false });
    expect(without.moveDistribution.reference).toEqual([0, 0, 0]);
  });

  it('keeps serving while MinIO is down, and starts from the disk cache without it', async () => {
    const manifests = join(dir, 'down-manifests');
    writeManifest(
      manifests,
      servingManifest('forrest', { Production: version('forrest', 1), B: version('forrest', 2) }),
    );
    const app = await build('down');
    await minio.stop();
    writeManifest(
      manifests,
      servingManifest('forrest', { Production: version('forrest', 3), B: version('forrest', 2) }),
    );
    await rescan(app);
    const m = await served(app, 'forrest');
    expect(m.aliases.Production!.version).toBe('v1');
    expect(m.lastError).toContain('cannot download s3://rps-models/forrest/v3/model.onnx');
    expect((await app.inject('/metrics')).body).toMatch(/reason="store_unavailable"\} [1-9]/);
    await playGame(app, 'forrest');

    // a restarted server with the same cache needs no object store for the versions it has
    writeManifest(
      join(dir, 'restart-manifests'),
      servingManifest('forrest', { Production: version('forrest', 1), B: version('forrest', 2) }),
    );
    const restarted = await build('restart', join(dir, 'down-cache'));
    const r = await served(restarted, 'forrest');
    expect(r.fallback).toBe(false);
    expect(r.aliases.B!.version).toBe('v2');
    expect(r.lastError).toBeUndefined();
  });
});
