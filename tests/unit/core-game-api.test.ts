// Each schema of the game server's API (core/game-api.ts) against the replies the app gives: the
// replies validate, and a reply that breaks the contract is refused with the field named.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TSchema } from '@sinclair/typebox';
import {
  BotDriftSchema,
  BotsReplySchema,
  DriftQuerySchema,
  DriftReplySchema,
  ErrorReplySchema,
  ExportQuerySchema,
  ExportedRoundSchema,
  GameParamsSchema,
  GameReplySchema,
  HealthReplySchema,
  METRICS_CONTENT_TYPE,
  MetricsReplySchema,
  ModelsReplySchema,
  MoveBodySchema,
  MoveReplySchema,
  OperatorHealthReplySchema,
  OperatorReadyReplySchema,
  ReadyReplySchema,
  StartGameBodySchema,
  StartGameReplySchema,
  VersionStatsQuerySchema,
  VersionStatsReplySchema,
  seededRandom,
  validate,
} from '../../core/index.ts';
import { buildApp } from '../../app/build-app.ts';
import { ERROR_STATUS } from '../../app/error-handler.ts';
import { ServedReportSchema } from '../../operator/decisions/serving.ts';
import { OperatorMetrics, startMetricsServer } from '../../operator/metrics.ts';
import { seedModelCache, servingManifest, writeManifest } from '../support/app-fixtures.ts';
import { tinyOnnxModel } from '../support/tiny-onnx.ts';

const TOKEN = 'test-internal-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let dir: string;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'game-api-'));
  const v1 = { version: 'v1', bytes: tinyOnnxModel({ hidden: 8, seed: 2, tag: 'game-api' }) };
  seedModelCache(join(dir, 'cache'), v1.bytes);
  writeManifest(join(dir, 'manifests'), servingManifest('logan', { Production: v1, Shadow1: v1 }));
  app = await buildApp({
    logger: false,
    processMetrics: false,
    driftMonitor: false,
    random: seededRandom(11),
    config: {
      internalToken: TOKEN,
      manifestDir: join(dir, 'manifests'),
      modelCacheDir: join(dir, 'cache'),
      manifestPollMs: 3_600_000,
    },
  });
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

function expectValid(schema: TSchema, value: unknown): void {
  const result = validate(schema, value);
  expect(result.ok ? [] : result.errors).toEqual([]);
}

function problems(schema: TSchema, value: unknown): string[] {
  const result = validate(schema, value);
  return result.ok ? [] : result.errors;
}

async function json(url: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await app.inject({ url, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** A whole game against Logan, as a player with keys plays it. */
async function playGame(): Promise<void> {
  const started = await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot: 'logan' } });
  const { gameId } = started.json() as { gameId: string };
  for (let round = 1, finished = false; !finished; round++) {
    const move = { round, move: (['rock', 'paper', 'scissors'] as const)[round % 3]!, input: 'key' };
    const res = await app.inject({ method: 'POST', url: `/api/v1/games/${gameId}/moves`, payload: move });
    expect(res.statusCode, res.body).toBe(200);
    finished = (res.json() as { finished: boolean }).finished;
  }
}

describe('the game routes’ schemas', () => {
  it('describe a whole game: start, moves to the end, and the game read back', async () => {
    const body = { bot: 'logan', player: 'Ada' };
    expectValid(StartGameBodySchema, body);
    const started = await app.inject({ method: 'POST', url: '/api/v1/games', payload: body });
    expect(started.statusCode).toBe(201);
    expectValid(StartGameReplySchema, started.json());
    const { gameId } = started.json() as { gameId: string };
    expectValid(GameParamsSchema, { id: gameId });

    let last: Record<string, unknown> = {};
    for (let round = 1; last.finished !== true; round++) {
      const move = { round, move: (['rock', 'paper', 'scissors'] as const)[round % 3]!, input: 'key' };
      expectValid(MoveBodySchema, move);
      const res = await app.inject({ method: 'POST', url: `/api/v1/games/${gameId}/moves`, payload: move });
      expect(res.statusCode).toBe(200);
      last = res.json();
      expectValid(MoveReplySchema, last);
    }
    expect(last).toMatchObject({ alias: 'Production', version: 'v1' });
    const game = await json(`/api/v1/games/${gameId}`);
    expectValid(GameReplySchema, game);

    expect(problems(MoveReplySchema, { ...last, botMove: 'lizard' })).toEqual([
      '/botMove: must be one of "rock", "paper", "scissors"',
    ]);
    expect(problems(StartGameBodySchema, { bot: 'logan', colour: 'red' })).toEqual([
      '/colour: is not an allowed property',
    ]);
    const { rounds: _rounds, ...withoutRounds } = game;
    expect(problems(GameReplySchema, withoutRounds)).toEqual(['/rounds: is required']);
  });

  it('describe every error reply, each domain error with its code and status', async () => {
    const replies = [
      await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot: 'Zed' } }),
      await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot: 'brian', synthetic: true } }),
      await app.inject('/api/v1/games/no-such-game'),
      await app.inject({ method: 'POST', url: '/api/v1/games', payload: {} }),
    ];
    for (const res of replies) expectValid(ErrorReplySchema, res.json());
    expect(replies.map((r) => [r.statusCode, r.json().code])).toEqual([
      [ERROR_STATUS.UNKNOWN_BOT, 'UNKNOWN_BOT'],
      [ERROR_STATUS.INVALID_SYNTHETIC_PLAYER, 'INVALID_SYNTHETIC_PLAYER'],
      [ERROR_STATUS.GAME_NOT_FOUND, 'GAME_NOT_FOUND'],
      [ERROR_STATUS.VALIDATION, 'VALIDATION'],
    ]);
    expect(replies[0]!.json().bots).toEqual(['Brian', 'Forrest', 'Logan']);
    expect(ERROR_STATUS).toMatchObject({ UNKNOWN_BOT: 404, GAME_FINISHED: 409, DATABASE_UNAVAILABLE: 503 });
  });
});

describe('the bots, models and internal routes’ schemas', () => {
  it('describe the bots and what each serves, as the operator reads it', async () => {
    expectValid(BotsReplySchema, await json('/api/v1/bots'));
    const models = await json('/api/v1/models');
    expectValid(ModelsReplySchema, models);
    const logan = (models.models as Record<string, unknown>[]).find((m) => m.model === 'logan')!;
    expect(logan.aliases).toMatchObject({ Production: { version: 'v1', loaded: true } });
    expectValid(ServedReportSchema, logan);
    expect(problems(ModelsReplySchema, { models: [{ ...logan, manifest: 'maybe' }] })).toEqual([
      '/models/0/manifest: must be equal to constant',
      '/models/0/manifest: must match a schema in anyOf',
    ]);
  });

  it('describe the per-version stats, the drift checks and the export', async () => {
    const query = { model: 'logan', since: '0', excludeSynthetic: true };
    expectValid(VersionStatsQuerySchema, query);
    const statsUrl = '/api/v1/stats/versions?model=logan&since=0&excludeSynthetic=true';
    // the file's other tests may have played already: this test counts the game it plays itself
    const before = (await json(statsUrl, auth)).versions as { games: number }[];
    await playGame();
    const stats = await json(statsUrl, auth);
    expectValid(VersionStatsReplySchema, stats);
    expect(stats.versions).toEqual([
      expect.objectContaining({ model: 'logan', version: 'v1', games: (before[0]?.games ?? 0) + 1 }),
    ]);

    expectValid(DriftQuerySchema, { model: 'logan' });
    const one = await json('/api/v1/stats/drift?model=logan', auth);
    expectValid(BotDriftSchema, one);
    expectValid(DriftReplySchema, one);
    const all = await json('/api/v1/stats/drift', auth);
    expectValid(DriftReplySchema, all);
    expect(problems(BotDriftSchema, { ...one, statistic: 'ks' })).toEqual([
      '/statistic: must be equal to constant',
    ]);

    expectValid(ExportQuerySchema, { since: 0, limit: 10 });
    const res = await app.inject({ url: '/api/v1/export/events?since=0&limit=10', headers: auth });
    const lines = res.body.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expectValid(ExportedRoundSchema, JSON.parse(line));
  });
});

describe('the probes’ and metrics’ schemas', () => {
  it('describe the game server’s /healthz, /readyz and /metrics, the metrics as Prometheus text', async () => {
    expectValid(HealthReplySchema, await json('/healthz'));
    expectValid(ReadyReplySchema, await json('/readyz'));
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(METRICS_CONTENT_TYPE);
    expect(res.body).toContain('# TYPE rpsq_moves_total counter');
    expectValid(MetricsReplySchema, res.body);

    expect(problems(ReadyReplySchema, { status: 'loading' })).toContain('/: must match a schema in anyOf');
    expect(problems(MetricsReplySchema, `${res.body}<html>`)).toEqual([
      expect.stringMatching(/^\/: must match pattern/),
    ]);
  });

  it('describe the operator’s /healthz, /readyz (ready and not) and /metrics', async () => {
    const metrics = new OperatorMetrics();
    expect(metrics.registry.contentType).toBe(METRICS_CONTENT_TYPE);
    let ready = false;
    const server = await startMetricsServer(metrics, 0, () => ready);
    try {
      const get = (p: string) => fetch(`http://127.0.0.1:${server.port}${p}`);
      const health = await get('/healthz');
      expect(health.status).toBe(200);
      expectValid(OperatorHealthReplySchema, await health.text());
      const notReady = await get('/readyz');
      expect(notReady.status).toBe(503);
      expectValid(OperatorReadyReplySchema, await notReady.text());
      ready = true;
      const isReady = await get('/readyz');
      expect(isReady.status).toBe(200);
      expectValid(OperatorReadyReplySchema, await isReady.text());
      const res = await get('/metrics');
      expect(res.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
      const text = await res.text();
      expect(text).toContain('# TYPE rpsquest_operator_reconciles_total counter');
      expect(text).toContain('rpsquest_operator_process_cpu_seconds_total');
      expectValid(MetricsReplySchema, text);
    } finally {
      await server.close();
    }
  });
});
