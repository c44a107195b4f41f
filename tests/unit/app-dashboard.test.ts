import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom, validate } from '../../core/index.ts';
import { buildApp } from '../../app/build-app.ts';
import type { DashboardBot, DashboardData } from '../../app/dashboard.ts';
import { DashboardDataSchema } from '../../core/dashboard-api.ts';
import { twoProportionZTest } from '../../core/index.ts';
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
const root = mkdtempSync(join(tmpdir(), 'app-dashboard-'));
const versions: ModelVersion[] = [1, 2, 3].map((n) => ({
  version: `v${n}`,
  bytes: tinyOnnxModel({ hidden: 8, seed: n * 7, tag: `dash-v${n}` }),
}));
const [v1, v2, v3] = versions as [ModelVersion, ModelVersion, ModelVersion];
const reference = playerReference('Gus', 40, 3);

let dir: string;
let now: number;
let app: FastifyInstance;
let n = 0;

beforeEach(() => {
  dir = join(root, `app-${n++}`);
  now = Date.parse('2025-03-01T12:00:00Z');
  seedModelCache(join(dir, 'cache'), ...versions.map((v) => v.bytes));
  seedMetadataCache(join(dir, 'cache'), artifactMetadata('brian', v1, reference));
  writeManifest(join(dir, 'manifests'), servingManifest('brian', { Production: v1, B: v2, Shadow1: v3 }));
});
afterEach(async () => app?.close());
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function build(): Promise<FastifyInstance> {
  app = await buildApp({
    logger: false,
    processMetrics: false,
    driftMonitor: false,
    random: seededRandom(4),
    clock: () => now,
    config: {
      internalToken: TOKEN,
      manifestDir: join(dir, 'manifests'),
      modelCacheDir: join(dir, 'cache'),
      manifestPollMs: 3_600_000,
      dbPath: join(dir, 'games.db'),
      rateLimitPerMinute: 1_000_000,
    },
  });
  return app;
}

async function dashboard(): Promise<{ data: DashboardData; brian: DashboardBot; body: string }> {
  now += 5000; // past the reply cache
  const res = await app.inject('/api/v1/dashboard');
  expect(res.statusCode).toBe(200);
  const data = res.json() as DashboardData;
  expect(validate(DashboardDataSchema, data)).toEqual({ ok: true, value: data });
  return { data, brian: data.bots.find((b) => b.model === 'brian')!, body: res.body };
}

async function playGames(count: number, seed: number) {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    await playGameAs(app, 'Gus', random);
    now += 1000;
  }
}

function count(sql: string, ...params: unknown[]): number {
  return (app.rps.db!.prepare(sql).get(...params) as { n: number }).n;
}

describe('GET /api/v1/dashboard', () => {
  it('aggregates aliases, accuracy per version, the A/B test, drift and alias changes, without secrets', async () => {
    await build();
    await playGames(12, 1);
    const { data, brian, body } = await dashboard();
    expect(data.bots.map((b) => b.model)).toEqual(['brian', 'forrest', 'logan']);
    expect(brian.aliases).toEqual([
      { alias: 'Production', version: 'v1' },
      { alias: 'B', version: 'v2' },
      { alias: 'Shadow1', version: 'v3' },
      { alias: 'Shadow2', version: null },
    ]);
    expect(brian.trafficSplit).toEqual({ Production: 50, B: 50 });

    // accuracy: every stored prediction of each served version, in buckets
    expect(brian.accuracy.series.map((s) => [s.version, s.aliases])).toEqual([
      ['v1', ['Production']],
      ['v2', ['B']],
      ['v3', ['Shadow1']],
    ]);
    for (const s of brian.accuracy.series) {
      const stored = count(
        "SELECT COUNT(*) AS n FROM predictions WHERE bot = 'brian' AND version = ?",
        s.version,
      );
      const correct = count(
        "SELECT SUM(correct) AS n FROM predictions WHERE bot = 'brian' AND version = ?",
        s.version,
      );
      expect(s.predictions).toBe(stored);
      expect(s.correct).toBe(correct);
      expect(s.points.length).toBeGreaterThan(1);
      for (const p of s.points) {
        expect(p.predictions).toBeLessThanOrEqual(brian.accuracy.bucketSize);
        expect(p.accuracy).toBeGreaterThanOrEqual(0);
        expect(p.accuracy).toBeLessThanOrEqual(1);
      }
    }

    // the A/B test: bot win rates of Production and B, and the operator's test on them
    const stats = await app.rps.store.versionStats('brian', 0, false);
    const prod = stats.find((s) => s.version === 'v1')!;
    const b = stats.find((s) => s.version === 'v2')!;
    expect(prod.games + b.games).toBe(12);
    const expected = twoProportionZTest(prod.botWins, prod.games, b.botWins, b.games);
    expect(brian.abTest).toMatchObject({
      production: 'v1',
      b: 'v2',
      productionGames: prod.games,
      productionWins: prod.botWins,
      bGames: b.games,
      bWins: b.botWins,
      pValue: expected.pValue,
      z: expected.z,
    });
    const points = brian.abTest!.points;
    expect(points.at(-1)).toMatchObject({
      productionGames: prod.games,
      bGames: b.games,
      pValue: expected.pValue,
    });
    expect(points.map((p) => p.t)).toEqual([...points.map((p) => p.t)].sort((x, y) => x - y));
    // running totals never fall
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.productionGames + points[i]!.bGames).toBeGreaterThan(
        points[i - 1]!.productionGames + points[i - 1]!.bGames,
      );
    }

    expect(brian.drift.current).toMatchObject({ model: 'brian', version: 'v1', statistic: 'psi' });
    expect(brian.drift.current.rows).toBeGreaterThan(0);
    expect(brian.aliasChanges.map((c) => [c.alias, c.version, c.previous])).toEqual([
      ['Shadow1', 'v3', null],
      ['B', 'v2', null],
      ['Production', 'v1', null],
    ]);
    expect(data.bots[1]!.abTest).toBeNull();
    expect(data.bots[1]!.aliasChanges).toEqual([]);

    expect(body).not.toContain('s3://');
    expect(body).not.toContain(TOKEN);
    expect(body).not.toMatch(/[0-9a-f]{64}/);
  });

  it('says how the moves of each bot were entered', async () => {
    await build();
    const started = await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot: 'forrest' } });
    const { gameId } = started.json() as { gameId: string };
    const inputs = ['camera', 'camera', 'key', undefined];
    for (const [i, input] of inputs.entries()) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/games/${gameId}/moves`,
        payload: { round: i + 1, move: 'paper', ...(input ? { input } : {}) },
      });
      expect(res.statusCode).toBe(200);
    }
    const { data, brian } = await dashboard();
    expect(data.bots.find((b) => b.model === 'forrest')!.inputs).toEqual({
      window: 10_000,
      click: 1,
      key: 1,
      camera: 2,
    });
    expect(brian.inputs).toEqual({ window: 10_000, click: 0, key: 0, camera: 0 });
  });

  it('records a promotion and restarts the A/B test from it', async () => {
    await build();
    await playGames(6, 2);
    now += 60_000;
    const promotedAt = now;
    writeManifest(join(dir, 'manifests'), servingManifest('brian', { Production: v2, B: v1, Shadow1: v3 }));
    await app.rps.watcher!.scan();

    let { brian } = await dashboard();
    expect(brian.aliases.slice(0, 2)).toEqual([
      { alias: 'Production', version: 'v2' },
      { alias: 'B', version: 'v1' },
    ]);
    expect(brian.aliasChanges.slice(0, 2)).toEqual([
      { at: promotedAt, alias: 'B', version: 'v1', previous: 'v2', promotion: false },
      { at: promotedAt, alias: 'Production', version: 'v2', previous: 'v1', promotion: true },
    ]);
    expect(brian.abTest).toMatchObject({
      production: 'v2',
      b: 'v1',
      since: promotedAt,
      productionGames: 0,
      bGames: 0,
    });
    expect(brian.abTest!.points).toEqual([]);

    await playGames(4, 3);
    ({ brian } = await dashboard());
    expect(brian.abTest!.productionGames + brian.abTest!.bGames).toBe(4);

    // a restart serving the same versions records no change
    await app.close();
    await build();
    ({ brian } = await dashboard());
    expect(brian.aliasChanges).toHaveLength(5);
    expect(count('SELECT COUNT(*) AS n FROM alias_changes')).toBe(5);
  });

  it('answers repeated polls from a cache and limits each client to 120 a minute', async () => {
    await build();
    const first = await app.inject('/api/v1/dashboard');
    await playGames(1, 4);
    const cached = await app.inject('/api/v1/dashboard');
    expect(cached.json().generatedAt).toBe(first.json().generatedAt);
    const codes = [];
    for (let i = 0; i < 120; i++) codes.push((await app.inject('/api/v1/dashboard')).statusCode);
    expect(codes.filter((c) => c === 429)).toHaveLength(2);
  });

  it('serves the dashboard page and the vendored chart library, linked from the game page', async () => {
    await build();
    const page = await app.inject('/dashboard');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('/vendor/uplot/uPlot.iife.min.js');
    const lib = await app.inject('/vendor/uplot/uPlot.iife.min.js');
    expect(lib.statusCode).toBe(200);
    expect(lib.body).toContain('uPlot');
    expect((await app.inject('/dashboard.js')).statusCode).toBe(200);
    expect((await app.inject('/vendor/uplot/uPlot.min.css')).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await app.inject('/')).body).toContain('href="/dashboard"');
  });
});
