import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FEATURE_COUNT_V2,
  botMove,
  newGame,
  playRound,
  roundValues,
  seededRandom,
  type GambitName,
  type GameState,
  type Move,
} from '../../core/index.ts';
import { buildApp } from '../../app/build-app.ts';
import {
  seedModelCache,
  servingManifest,
  writeManifest,
  type ModelVersion,
} from '../support/app-fixtures.ts';
import { tinyOnnxModel } from '../support/tiny-onnx.ts';

const TOKEN = 'test-internal-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

// constant predictors: each version is sure the player plays one move
const v1: ModelVersion = { version: 'v1', bytes: tinyOnnxModel({ bias: [4, 0, 0], tag: 'v1' }) };
const v2: ModelVersion = { version: 'v2', bytes: tinyOnnxModel({ bias: [0, 4, 0], tag: 'v2' }) };
const v3: ModelVersion = { version: 'v3', bytes: tinyOnnxModel({ bias: [0, 0, 4], tag: 'v3' }) };
const v4: ModelVersion = { version: 'v4', bytes: tinyOnnxModel({ hidden: 8, seed: 4, tag: 'v4' }) };
// an rps-features/v2 version: 91 inputs, sure the player plays paper
const v5: ModelVersion = {
  version: 'v5',
  bytes: tinyOnnxModel({ bias: [0, 4, 0], inputs: FEATURE_COUNT_V2, tag: 'v5' }),
  featureSet: 'rps-features/v2',
};

let dir: string;
let manifests: string;
let cache: string;
let app: FastifyInstance;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'app-serving-'));
  manifests = join(dir, 'manifests');
  cache = join(dir, 'cache');
  seedModelCache(cache, v1.bytes, v2.bytes, v3.bytes, v4.bytes, v5.bytes);
});

afterEach(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function build(seed = 1) {
  app = await buildApp({
    logger: false,
    processMetrics: false,
    random: seededRandom(seed),
    config: { manifestDir: manifests, modelCacheDir: cache, manifestPollMs: 3_600_000, internalToken: TOKEN },
  });
  return app;
}

async function rescan() {
  await app.rps.watcher!.scan();
  await app.rps.registry.settled();
}

async function models() {
  return (await app.inject('/api/v1/models')).json().models as Record<string, unknown>[];
}

async function start(bot = 'brian') {
  const res = await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot } });
  expect(res.statusCode).toBe(201);
  return res.json().gameId as string;
}

async function playToEnd(gameId: string, pick: (round: number) => Move = () => 'rock', from = 1) {
  const replies: Record<string, unknown>[] = [];
  for (let round = from; round < 200; round++) {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/games/${gameId}/moves`,
      payload: { round, move: pick(round) },
    });
    expect(res.statusCode).toBe(200);
    replies.push(res.json());
    if (res.json().finished) return replies;
  }
  throw new Error('game did not end');
}

function gameRow(gameId: string) {
  return app.rps.db!.prepare('SELECT alias, version, gambit FROM games WHERE id = ?').get(gameId) as {
    alias: string | null;
    version: string | null;
    gambit: GambitName;
  };
}

describe('model serving from the manifest directory', () => {
  it('serves versions of both feature sets side by side, each fed its own features', async () => {
    writeManifest(manifests, servingManifest('brian', { Production: v1, B: v5, Shadow1: v5, Shadow2: v1 }));
    await build();
    expect((await models()).find((m) => m.model === 'brian')).toMatchObject({
      aliases: { Production: { version: 'v1', loaded: true }, B: { version: 'v5', loaded: true } },
    });
    const gameId = await start();
    const replies = await playToEnd(gameId, () => 'paper');
    const rows = app.rps
      .db!.prepare(
        `SELECT r.round, p.version, p.predicted FROM predictions p JOIN rounds r ON r.id = p.round_id
         WHERE r.game_id = ? ORDER BY r.round, p.version`,
      )
      .all(gameId) as { round: number; version: string; predicted: Move }[];
    expect(rows).toHaveLength((replies.length - 3) * 2);
    expect(rows.slice(0, 2)).toEqual([
      { round: 4, version: 'v1', predicted: 'rock' },
      { round: 4, version: 'v5', predicted: 'paper' },
    ]);
    // a version whose feature set this server does not compute is refused, the last good models kept
    const bad = servingManifest('brian', { Production: { ...v1, featureSet: 'rps-features/v0' } });
    writeManifest(manifests, bad);
    await rescan();
    const brian = (await models()).find((m) => m.model === 'brian')!;
    expect(brian.lastError).toMatch(
      /\/aliases\/Production\/featureSet: "rps-features\/v0" is not served; this server computes rps-features\/v1, rps-features\/v2/,
    );
    expect(brian).toMatchObject({ aliases: { Production: { version: 'v1' }, B: { version: 'v5' } } });
  });

  it('serves four aliases, stores and scores one prediction per version from round 4', async () => {
    writeManifest(manifests, servingManifest('brian', { Production: v1, B: v1, Shadow1: v2, Shadow2: v3 }));
    await build();
    const brian = (await models()).find((m) => m.model === 'brian')!;
    expect(brian).toMatchObject({
      manifest: 'present',
      fallback: false,
      aliases: {
        Production: { version: 'v1', loaded: true },
        B: { version: 'v1', loaded: true },
        Shadow1: { version: 'v2', loaded: true },
        Shadow2: { version: 'v3', loaded: true },
      },
    });
    expect(brian).not.toHaveProperty('lastError');

    const gameId = await start();
    const replies = await playToEnd(gameId, () => 'rock');
    expect(replies.at(-1)).toMatchObject({ version: 'v1' });
    const rows = app.rps
      .db!.prepare(
        `SELECT r.round, p.version, p.aliases, p.predicted, p.correct FROM predictions p JOIN rounds r ON r.id = p.round_id
         WHERE r.game_id = ? ORDER BY r.round, p.version`,
      )
      .all(gameId) as { round: number; version: string; aliases: string; predicted: Move; correct: number }[];
    const scored = replies.length - 3;
    expect(rows).toHaveLength(scored * 3);
    expect(Math.min(...rows.map((r) => r.round))).toBe(4);
    expect(rows.slice(0, 3)).toEqual([
      { round: 4, version: 'v1', aliases: 'Production,B', predicted: 'rock', correct: 1 },
      { round: 4, version: 'v2', aliases: 'Shadow1', predicted: 'paper', correct: 0 },
      { round: 4, version: 'v3', aliases: 'Shadow2', predicted: 'scissors', correct: 0 },
    ]);

    const stats = await app.inject({ url: '/api/v1/stats/versions?model=brian', headers: auth });
    const won = replies.at(-1)!.winner;
    expect(stats.json().finishedGames).toBe(1);
    expect(stats.json().versions).toEqual([
      {
        model: 'brian',
        version: 'v1',
        games: 1,
        botWins: won === 'bot' ? 1 : 0,
        botLosses: won === 'player' ? 1 : 0,
        ties: won === 'tie' ? 1 : 0,
        predictions: scored,
        correct: scored,
      },
      {
        model: 'brian',
        version: 'v2',
        games: 0,
        botWins: 0,
        botLosses: 0,
        ties: 0,
        predictions: scored,
        correct: 0,
      },
      {
        model: 'brian',
        version: 'v3',
        games: 0,
        botWins: 0,
        botLosses: 0,
        ties: 0,
        predictions: scored,
        correct: 0,
      },
    ]);
    const excluded = await app.inject({
      url: '/api/v1/stats/versions?model=brian&excludeSynthetic=true',
      headers: auth,
    });
    expect(excluded.json().versions[0].predictions).toBe(scored);
    const later = await app.inject({
      url: `/api/v1/stats/versions?model=brian&since=${Date.now() + 60_000}`,
      headers: auth,
    });
    expect(later.json().versions).toEqual([]);

    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toContain(`rpsq_predictions_total{bot="brian",alias="Shadow1",version="v2"} ${scored}`);
    expect(metrics).toContain(
      `rpsq_predictions_correct_total{bot="brian",alias="Production",version="v1"} ${scored}`,
    );
    expect(metrics).toContain('rpsq_served_model_info{bot="brian",alias="Shadow2",version="v3"} 1');
    expect(metrics).toMatch(/rpsq_model_loads_total\{bot="brian",alias="Production",version="v1"\} 1/);
  });

  it("decides the bot's moves with the playing version's prediction", async () => {
    writeManifest(manifests, servingManifest('logan', { Production: v2, B: v2, Shadow1: v3 }));
    await build();
    const gameId = await start('logan');
    const replies = await playToEnd(gameId, (r) => (['rock', 'paper', 'scissors'] as const)[(r * 7) % 3]!);
    const stored = app.rps
      .db!.prepare(
        `SELECT r.round, p.p_rock, p.p_paper, p.p_scissors FROM predictions p JOIN rounds r ON r.id = p.round_id
         WHERE r.game_id = ? AND p.version = 'v2'`,
      )
      .all(gameId) as { round: number; p_rock: number; p_paper: number; p_scissors: number }[];
    const byRound = new Map(stored.map((p) => [p.round, [p.p_rock, p.p_paper, p.p_scissors] as const]));
    let state: GameState = newGame(gameId, gameRow(gameId).gambit);
    for (const r of replies) {
      const round = r.round as number;
      const p = byRound.get(round) ?? null;
      expect(botMove(state, round, roundValues(gameId, round), () => p)).toMatchObject({
        move: r.botMove,
        fallback: false,
      });
      state = playRound(state, round, r.playerMove as Move, r.botMove as Move);
    }
    expect((await app.inject('/metrics')).body).not.toContain('rpsq_fallback_moves_total{');
  });

  it('assigns Production or B by the traffic split and stores the exact version with the game', async () => {
    writeManifest(
      manifests,
      servingManifest('brian', { Production: v1, B: v2 }, { split: { Production: 0, B: 100 } }),
    );
    writeManifest(
      manifests,
      servingManifest('forrest', { Production: v3, B: v4 }, { split: { Production: 100, B: 0 } }),
    );
    writeManifest(
      manifests,
      servingManifest('logan', { Production: v1, B: v4 }, { split: { Production: 50, B: 50 } }),
    );
    await build(3);
    for (let i = 0; i < 5; i++) {
      expect(gameRow(await start('brian'))).toMatchObject({ alias: 'B', version: 'v2' });
      expect(gameRow(await start('forrest'))).toMatchObject({ alias: 'Production', version: 'v3' });
    }
    const arms = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const row = gameRow(await start('logan'));
      arms.add(`${row.alias}:${row.version}`);
    }
    expect([...arms].sort()).toEqual(['B:v4', 'Production:v1']);
  });

  it('swaps models on a manifest change; a game in progress keeps its version', async () => {
    writeManifest(manifests, servingManifest('brian', { Production: v1, B: v1 }));
    await build();
    const running = await start();
    const first = await app.inject({
      method: 'POST',
      url: `/api/v1/games/${running}/moves`,
      payload: { round: 1, move: 'rock' },
    });
    expect(first.statusCode).toBe(200);

    writeManifest(manifests, servingManifest('brian', { Production: v4, B: v4, Shadow1: v2 }));
    await rescan();
    const brian = (await models()).find((m) => m.model === 'brian')!;
    expect(brian.aliases).toEqual({
      Production: { version: 'v4', sha256: expect.any(String), loaded: true },
      B: { version: 'v4', sha256: expect.any(String), loaded: true },
      Shadow1: { version: 'v2', sha256: expect.any(String), loaded: true },
    });
    expect(gameRow(await start())).toMatchObject({ version: 'v4' });

    const rest = await playToEnd(running, () => 'rock', 2);
    expect(rest.at(-1)).toMatchObject({ finished: true, version: 'v1' });
    // v1 still decided its moves (no fallback), while the current aliases' versions predicted
    expect((await app.inject('/metrics')).body).not.toContain('rpsq_fallback_moves_total{');
    const versions = app.rps
      .db!.prepare(
        'SELECT DISTINCT p.version FROM predictions p JOIN rounds r ON r.id = p.round_id WHERE r.game_id = ? ORDER BY 1',
      )
      .all(running)
      .map((r) => (r as { version: string }).version);
    expect(versions).toEqual(['v2', 'v4']);
  });

  it('keeps the last good models when a manifest is invalid, and says why', async () => {
    writeManifest(manifests, servingManifest('brian', { Production: v1 }));
    await build();
    const bad: [string, string][] = [
      ['{ not json', 'not valid JSON'],
      [
        JSON.stringify({
          ...servingManifest('brian', { Production: v1 }),
          trafficSplit: { Production: -1, B: 0 },
        }),
        '/trafficSplit/Production: must be >= 0',
      ],
      [
        JSON.stringify(servingManifest('logan', { Production: v2 })),
        '/model: "logan" does not match the file name brian.json',
      ],
      [
        JSON.stringify({ ...servingManifest('brian', { Production: v2 }), featureSet: 'rps-features/v0' }),
        '/featureSet: "rps-features/v0" is not served',
      ],
    ];
    for (const [content, why] of bad) {
      writeManifest(manifests, content, 'brian');
      await rescan();
      const brian = (await models()).find((m) => m.model === 'brian')!;
      expect(brian).toMatchObject({
        manifest: 'present',
        fallback: false,
        aliases: { Production: { version: 'v1' } },
      });
      expect(brian.lastError).toContain(why);
    }
    expect((await app.inject('/metrics')).body).toContain(
      'rpsq_model_load_failures_total{bot="brian",reason="invalid_manifest"} 4',
    );
    writeManifest(manifests, servingManifest('brian', { Production: v2 }));
    await rescan();
    const fixed = (await models()).find((m) => m.model === 'brian')!;
    expect(fixed).toMatchObject({ aliases: { Production: { version: 'v2' } } });
    expect(fixed).not.toHaveProperty('lastError');
  });

  it('keeps an alias on its last good model when the new artifact cannot be fetched', async () => {
    writeManifest(manifests, servingManifest('brian', { Production: v1, Shadow2: v2 }));
    await build();
    const missing = { version: 'v9', bytes: tinyOnnxModel({ bias: [1, 2, 3], tag: 'not-cached' }) };
    writeManifest(manifests, servingManifest('brian', { Production: v3, Shadow2: missing }));
    await rescan();
    const brian = (await models()).find((m) => m.model === 'brian')!;
    expect(brian.aliases).toMatchObject({ Production: { version: 'v3' }, Shadow2: { version: 'v2' } });
    expect(brian.lastError).toContain('Shadow2 → v9');
    expect(brian.lastError).toContain('no object store is configured');
    expect((await app.inject('/metrics')).body).toContain(
      'rpsq_model_load_failures_total{bot="brian",reason="store_not_configured"} 1',
    );
  });

  it('refuses a file that is not a serving model and starts in fallback without a good model', async () => {
    const notAModel = { version: 'v5', bytes: Buffer.from('definitely not onnx') };
    seedModelCache(cache, notAModel.bytes);
    writeManifest(manifests, servingManifest('forrest', { Production: notAModel }));
    await build();
    const forrest = (await models()).find((m) => m.model === 'forrest')!;
    expect(forrest).toMatchObject({ manifest: 'present', fallback: true, aliases: {} });
    expect(forrest.lastError).toContain('v5 is not a loadable ONNX model');
    const gameId = await start('forrest');
    expect(gameRow(gameId)).toEqual({ alias: null, version: null, gambit: expect.any(String) });
  });

  it('adds bots from manifests and withdraws them when the manifest is removed', async () => {
    writeManifest(
      manifests,
      servingManifest('zed', { Production: v1 }, { displayName: 'Zed', algorithm: 'logistic' }),
    );
    writeManifest(manifests, servingManifest('brian', { Production: v1 }, { displayName: 'Brian the Bold' }));
    await build();
    const bots = (await app.inject('/api/v1/bots'))
      .json()
      .bots.map((b: { displayName: string }) => b.displayName);
    expect(bots).toEqual(['Brian the Bold', 'Forrest', 'Logan', 'Zed']);
    expect(gameRow(await start('zed'))).toMatchObject({ alias: 'Production', version: 'v1' });

    unlinkSync(join(manifests, 'zed.json'));
    unlinkSync(join(manifests, 'brian.json'));
    await rescan();
    const res = await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot: 'zed' } });
    expect(res.statusCode).toBe(404);
    const brian = (await models()).find((m) => m.model === 'brian')!;
    expect(brian).toMatchObject({ displayName: 'Brian', manifest: 'absent', fallback: true, aliases: {} });
  });
});
