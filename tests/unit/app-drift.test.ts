import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  DRIFT_FEATURES,
  driftReport,
  featureBatch,
  seededRandom,
  type PlayedRound,
  type SyntheticPlayerName,
} from '../../core/index.ts';
import { buildApp } from '../../app/build-app.ts';
import { sha256Hex } from '../../lib/artifact-store.ts';
import { FIRST_MODEL_ROUND, recentBatch } from '../../app/drift-monitor.ts';
import {
  artifactMetadata,
  playGameAs,
  playerReference,
  seedMetadataCache,
  seedModelCache,
  servingManifest,
  writeManifest,
  type ModelVersion,
} from '../support/app-fixtures.ts';
import { tinyOnnxModel } from '../support/tiny-onnx.ts';

const TOKEN = 'test-internal-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const WINDOW = 1000;
const root = mkdtempSync(join(tmpdir(), 'app-drift-'));
let n = 0;
let app: FastifyInstance;

afterEach(async () => app?.close());
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Gus mostly plays the highest-valued move; the reference is what a model trained on him saw. */
const gusReference = playerReference('Gus', 300, 11);
// predicts uniform probabilities, so the bot plays as it did against Gus in the reference games
// (feature PSI on 1000 rows of the same player stays under 0.1; on 500 rows it reaches 0.19)
const v1: ModelVersion = { version: 'v1', bytes: tinyOnnxModel({ tag: 'drift-v1' }) };

/** An app serving v1 as Production (and B) of brian, with v1's metadata.json as given. */
async function build(metadata: 'reference' | 'no-reference' | 'wrong-model' | 'none') {
  const dir = join(root, `app-${n++}`);
  seedModelCache(join(dir, 'cache'), v1.bytes);
  if (metadata === 'reference')
    seedMetadataCache(join(dir, 'cache'), artifactMetadata('brian', v1, gusReference));
  if (metadata === 'no-reference') seedMetadataCache(join(dir, 'cache'), artifactMetadata('brian', v1));
  if (metadata === 'wrong-model') {
    // under v1's name, but describing another model
    const other = { version: 'v1', bytes: tinyOnnxModel({ tag: 'other' }) };
    const path = join(dir, 'cache', `${sha256Hex(v1.bytes)}.metadata.json`);
    writeFileSync(path, JSON.stringify(artifactMetadata('brian', other, gusReference)));
  }
  writeManifest(join(dir, 'manifests'), servingManifest('brian', { Production: v1, B: v1 }));
  app = await buildApp({
    logger: false,
    processMetrics: false,
    driftMonitor: false,
    random: seededRandom(9),
    config: {
      internalToken: TOKEN,
      manifestDir: join(dir, 'manifests'),
      modelCacheDir: join(dir, 'cache'),
      manifestPollMs: 3_600_000,
      driftWindowRounds: WINDOW,
      driftMinRows: 150,
      rateLimitPerMinute: 1_000_000,
    },
  });
  return app;
}

async function drift(query = 'model=brian') {
  const res = await app.inject({ url: `/api/v1/stats/drift?${query}`, headers: auth });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** Plays games as `player` until the window holds `rows` model rounds of that player. */
async function playRows(player: SyntheticPlayerName, rows: number, seed: number, synthetic = true) {
  const random = seededRandom(seed);
  let played = 0;
  while (played < rows) {
    const rounds = await playGameAs(app, player, random, { synthetic });
    played += rounds.filter((r) => r.round >= FIRST_MODEL_ROUND).length;
  }
}

describe('GET /api/v1/stats/drift', () => {
  it('finds no drift while players play like the training rows, and drift once they change', async () => {
    await build('reference');
    const empty = await drift();
    expect(empty).toMatchObject({
      model: 'brian',
      version: 'v1',
      insufficientData: true,
      drifted: false,
      rows: 0,
    });

    await playRows('Gus', WINDOW, 1);
    const same = await drift();
    expect(Object.keys(same).sort()).toEqual(
      [
        'drifted',
        'features',
        'insufficientData',
        'meanShift',
        'model',
        'moveDistribution',
        'referenceRows',
        'rows',
        'score',
        'statistic',
        'threshold',
        'version',
      ].sort(),
    );
    expect(same).toMatchObject({
      model: 'brian',
      version: 'v1',
      statistic: 'psi',
      threshold: 0.2,
      rows: WINDOW,
      insufficientData: false,
      drifted: false,
    });
    expect(same.score).toBeLessThan(0.2);
    expect(same.moveDistribution.reference).toEqual(gusReference.moveShares);
    expect(same.moveDistribution.recent.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
    expect(same.features.map((f: { name: string }) => f.name).sort()).toEqual([...DRIFT_FEATURES].sort());
    // the reply is core's report of the same rows
    const core = driftReport(gusReference, await recentBatch(app.rps.store, 'brian', WINDOW, false), {
      threshold: 0.2,
      minRows: 150,
    });
    expect(same.score).toBe(core.score);
    expect(same.moveDistribution.pValue).toBe(core.moveDistribution.pValue);
    expect(same.meanShift).toEqual(core.meanShift);
    expect(same.meanShift).toHaveLength(5);

    // Hal plays the middle-valued move: his rounds replace Gus's in the window
    await playRows('Hal', WINDOW, 2);
    const changed = await drift();
    expect(changed).toMatchObject({ version: 'v1', rows: WINDOW, insufficientData: false, drifted: true });
    expect(changed.score).toBeGreaterThanOrEqual(0.2);
    expect(changed.score).toBe(
      Math.max(changed.moveDistribution.psi, ...changed.features.map((f: { psi: number }) => f.psi)),
    );

    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toContain(`rps_drift_score{bot="brian",version="v1"} ${changed.score}`);
    expect(metrics).toContain('rps_drift_detected{bot="brian"} 1');
  });

  it('concludes nothing without a training reference, and says which version it would compare with', async () => {
    for (const metadata of ['none', 'no-reference', 'wrong-model'] as const) {
      await build(metadata);
      await playRows('Gus', 40, 3);
      const reply = await drift();
      expect(reply, metadata).toMatchObject({
        model: 'brian',
        version: 'v1',
        insufficientData: true,
        drifted: false,
        score: 0,
        features: [],
      });
      expect(reply.rows).toBeGreaterThanOrEqual(40);
      expect(reply.moveDistribution.reference).toEqual([0, 0, 0]);
      const metrics = (await app.inject('/metrics')).body;
      expect(metrics).toContain('rps_drift_detected{bot="brian"} 0');
      expect(metrics).not.toContain('rps_drift_score{');
      await app.close();
    }
  });

  it('reports fewer rows than the minimum as insufficient data', async () => {
    await build('reference');
    await playRows('Hal', 30, 4);
    const reply = await drift();
    expect(reply.rows).toBeLessThan(150);
    expect(reply).toMatchObject({ version: 'v1', insufficientData: true, drifted: false });
  });

  it('counts only people with excludeSynthetic=true, and lists every bot without a model', async () => {
    await build('reference');
    await playRows('Gus', 20, 5, true);
    await playRows('Gus', 20, 6, false);
    const all = await drift();
    const people = await drift('model=brian&excludeSynthetic=true');
    expect(people.rows).toBeGreaterThanOrEqual(20);
    expect(all.rows).toBeGreaterThan(people.rows);

    const { bots } = await drift('');
    expect(bots.map((b: { model: string }) => b.model)).toEqual(['brian', 'forrest', 'logan']);
    expect(bots[1]).toMatchObject({ model: 'forrest', version: null, insufficientData: true, rows: 0 });
  });

  it('requires the internal token', async () => {
    await build('none');
    expect((await app.inject('/api/v1/stats/drift?model=brian')).statusCode).toBe(401);
    const wrong = await app.inject({
      url: '/api/v1/stats/drift?model=brian',
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    expect(wrong.statusCode).toBe(403);
  });
});

describe('recentBatch', () => {
  it('holds exactly the latest window of model rounds, built like the training rows', async () => {
    await build('none');
    const random = seededRandom(8);
    const games: PlayedRound[][] = [];
    for (let i = 0; i < 3; i++) games.push(await playGameAs(app, 'Ace', random));
    const rowsOf = (g: (typeof games)[number]) => featureBatch([g], { fromRound: FIRST_MODEL_ROUND });
    const last = rowsOf(games[2]!);
    const middle = rowsOf(games[1]!);
    const window = last.rows + 2;
    const batch = await recentBatch(app.rps.store, 'brian', window, false);
    expect(batch.rows).toBe(window);
    // the newest game whole, then the two latest rounds of the game before it
    expect(Array.from(batch.x.subarray(0, last.x.length))).toEqual(Array.from(last.x));
    expect(Array.from(batch.x.subarray(last.x.length))).toEqual(
      Array.from(middle.x.subarray(middle.x.length - 2 * 49)),
    );
    expect(Array.from(batch.y)).toEqual([...last.y, ...middle.y.subarray(middle.rows - 2)]);
    expect((await recentBatch(app.rps.store, 'brian', 10_000, false)).rows).toBe(
      games.reduce((s, g) => s + rowsOf(g).rows, 0),
    );
  });
});
