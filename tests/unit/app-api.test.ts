import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ExportedRoundSchema,
  SYNTHETIC_PLAYER_NAMES,
  botMove,
  newGame,
  playRound,
  roundValues,
  seededRandom,
  validate,
  type GambitName,
  type GameState,
  type Move,
} from '../../core/index.ts';
import { buildApp, type BuildAppOptions } from '../../app/build-app.ts';

const TOKEN = 'test-internal-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let app: FastifyInstance;
afterEach(async () => app?.close());

async function build(options: BuildAppOptions = {}): Promise<FastifyInstance> {
  app = await buildApp({
    logger: false,
    processMetrics: false,
    random: seededRandom(7),
    ...options,
    config: { internalToken: TOKEN, ...options.config },
  });
  return app;
}

async function start(body: Record<string, unknown> = { bot: 'brian' }) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/games', payload: body });
  expect(res.statusCode).toBe(201);
  return res.json() as { gameId: string; round: number; values: Record<Move, number> };
}

function move(gameId: string, round: number, m: unknown) {
  return app.inject({ method: 'POST', url: `/api/v1/games/${gameId}/moves`, payload: { round, move: m } });
}

/** Plays until the game ends, choosing moves with `pick`; returns every reply. */
async function playToEnd(gameId: string, pick: (round: number) => Move = () => 'rock') {
  const replies: Record<string, unknown>[] = [];
  for (let round = 1; round < 200; round++) {
    const res = await move(gameId, round, pick(round));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    replies.push(body);
    if (body.finished) return replies;
  }
  throw new Error('game did not end');
}

function countRows(table: string): number {
  return (app.rps.db!.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

describe('POST /api/v1/games', () => {
  it('starts a game against a bot named by model or display name, in any case', async () => {
    await build();
    for (const bot of ['brian', 'Forrest', 'LOGAN', ' bRiAn ']) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot } });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({ round: 1, playerScore: 0, botScore: 0, playerHp: 100, botHp: 100 });
      expect(['brian', 'forrest', 'logan']).toContain(body.bot);
      expect(body.values).toEqual(roundValues(body.gameId, 1));
    }
  });

  it('answers 404 naming the bots that exist for an unknown bot', async () => {
    await build();
    const res = await app.inject({ method: 'POST', url: '/api/v1/games', payload: { bot: 'Zed' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toBe(
      'no bot named "Zed"; the bots are Brian (brian), Forrest (forrest), Logan (logan)',
    );
  });

  it('rejects a missing bot and a synthetic player that is not one of the scripted ones', async () => {
    await build();
    let res = await app.inject({ method: 'POST', url: '/api/v1/games', payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('body/bot is required');
    res = await app.inject({
      method: 'POST',
      url: '/api/v1/games',
      payload: { bot: 'brian', synthetic: true, player: 'Zoe' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain(`one of ${SYNTHETIC_PLAYER_NAMES.join(', ')} (got "Zoe")`);
    res = await app.inject({
      method: 'POST',
      url: '/api/v1/games',
      payload: { bot: 'brian', synthetic: true, player: 'Ace' },
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('moves', () => {
  it('plays a whole game: values, scores, HP and the alias/version only once finished', async () => {
    await build();
    const { gameId } = await start();
    const replies = await playToEnd(gameId, (r) => (['rock', 'paper', 'scissors'] as const)[r % 3]!);
    for (const [i, r] of replies.entries()) {
      expect(r.round).toBe(i + 1);
      expect(r.playerHp).toBeCloseTo(100 - 10 * (r.botScore as number));
      expect(r.botHp).toBeCloseTo(100 - 10 * (r.playerScore as number));
      if (!r.finished) {
        expect(r).not.toHaveProperty('alias');
        expect(r).not.toHaveProperty('version');
        expect(r.nextValues).toEqual(roundValues(gameId, i + 2));
      }
    }
    const last = replies.at(-1)!;
    expect(last).toMatchObject({
      finished: true,
      nextRound: null,
      nextValues: null,
      alias: null,
      version: null,
    });
    expect(['player', 'bot', 'tie']).toContain(last.winner);
    expect(Math.max(last.playerScore as number, last.botScore as number)).toBe(10);
  });

  it('decides the bot move from earlier rounds only (replayed with the core rules)', async () => {
    await build();
    const { gameId } = await start();
    const replies = await playToEnd(gameId, (r) => (r % 2 ? 'paper' : 'scissors'));
    const gambit = (
      app.rps.db!.prepare('SELECT gambit FROM games WHERE id = ?').get(gameId) as { gambit: GambitName }
    ).gambit;
    let state: GameState = newGame(gameId, gambit);
    for (const r of replies) {
      const round = r.round as number;
      // no model is served: from round 4 the bot plays uniform EV, whatever the player then plays
      const expected = botMove(state, round, roundValues(gameId, round), () => null).move;
      expect(r.botMove).toBe(expected);
      state = playRound(state, round, r.playerMove as Move, r.botMove as Move);
    }
    expect(state.finished).toBe(true);
  });

  it('returns the stored result for a repeated round and stores no second row', async () => {
    await build();
    const { gameId } = await start();
    const first = await move(gameId, 1, 'rock');
    const again = await move(gameId, 1, 'scissors');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(countRows('rounds')).toBe(1);
  });

  it('answers 409 for a round out of order, with the round the game expects', async () => {
    await build();
    const { gameId } = await start();
    const res = await move(gameId, 3, 'rock');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'ROUND_OUT_OF_ORDER', expectedRound: 1 });
    expect(res.json().message).toBe(`round 3 is out of order: game ${gameId} expects round 1`);
    expect(countRows('rounds')).toBe(0);
  });

  it('answers 409 after the game has ended and stores nothing', async () => {
    await build();
    const { gameId } = await start();
    const replies = await playToEnd(gameId);
    const rows = countRows('rounds');
    const res = await move(gameId, replies.length + 1, 'rock');
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('GAME_FINISHED');
    expect(res.json().message).toMatch(/has finished .*; it accepts no more moves/);
    expect(countRows('rounds')).toBe(rows);
    // the final round itself is still an idempotent retry
    const retry = await move(gameId, replies.length, 'paper');
    expect(retry.json()).toEqual(replies.at(-1));
  });

  it('answers 400 for a bad move with the allowed values, and for a bad round', async () => {
    await build();
    const { gameId } = await start();
    let res = await move(gameId, 1, 'lizard');
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('body/move must be one of rock, paper, scissors (got "lizard")');
    res = await move(gameId, 0, 'rock');
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('body/round must be >= 1 (got 0)');
    res = await app.inject({
      method: 'POST',
      url: `/api/v1/games/${gameId}/moves`,
      headers: { 'content-type': 'application/json' },
      payload: '{"round":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('JSON');
    expect(countRows('rounds')).toBe(0);
  });

  it('stores how each move was entered (click by default), shows it per round, counts it by input, and rejects unknown inputs', async () => {
    await build();
    const { gameId } = await start();
    const played = async (round: number, input?: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/games/${gameId}/moves`,
        payload: { round, move: 'rock', ...(input ? { input } : {}) },
      });
    expect((await played(1)).statusCode).toBe(200);
    expect((await played(2, 'key')).statusCode).toBe(200);
    expect((await played(3, 'camera')).statusCode).toBe(200);
    const bad = await played(4, 'voice');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('body/input must be one of click, key, camera (got "voice")');
    const res = await app.inject({ url: '/api/v1/export/events', headers: auth });
    const inputs = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).input);
    expect(inputs).toEqual(['click', 'key', 'camera']);
    const game = (await app.inject(`/api/v1/games/${gameId}`)).json();
    expect(game.rounds.map((r: { round: number; input: string }) => [r.round, r.input])).toEqual([
      [1, 'click'],
      [2, 'key'],
      [3, 'camera'],
    ]);
    const metrics = (await app.inject('/metrics')).body;
    for (const input of ['click', 'key', 'camera']) {
      expect(metrics).toContain(`rpsq_move_inputs_total{bot="brian",input="${input}"} 1`);
    }
  });

  it('answers 404 for an unknown game', async () => {
    await build();
    const res = await move('no-such-game', 1, 'rock');
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toBe('no game with id "no-such-game"');
    expect((await app.inject('/api/v1/games/no-such-game')).statusCode).toBe(404);
  });

  it('handles concurrent submissions of the same round as one move', async () => {
    await build();
    const { gameId } = await start();
    for (let round = 1; round <= 6; round++) {
      const replies = await Promise.all([move(gameId, round, 'rock'), move(gameId, round, 'paper')]);
      expect(replies.map((r) => r.statusCode)).toEqual([200, 200]);
      expect(replies[0]!.json()).toEqual(replies[1]!.json());
    }
    expect(countRows('rounds')).toBe(6);
  });
});

describe('GET /api/v1/games/:id', () => {
  it('shows the state, and the gambit, alias and version only once finished', async () => {
    await build();
    const { gameId } = await start({ bot: 'logan', player: 'Ada' });
    await move(gameId, 1, 'rock');
    let res = await app.inject(`/api/v1/games/${gameId}`);
    expect(res.statusCode).toBe(200);
    let body = res.json();
    expect(body).toMatchObject({
      gameId,
      bot: 'logan',
      displayName: 'Logan',
      player: 'Ada',
      round: 2,
      finished: false,
    });
    expect(body.values).toEqual(roundValues(gameId, 2));
    expect(body.rounds).toHaveLength(1);
    expect(body).not.toHaveProperty('gambit');
    expect(body).not.toHaveProperty('version');
    await playToEnd2(gameId, 2);
    body = (await app.inject(`/api/v1/games/${gameId}`)).json();
    expect(body).toMatchObject({ finished: true, round: null, values: null, alias: null, version: null });
    expect(typeof body.gambit).toBe('string');
    res = await app.inject('/api/v1/games/x'.padEnd(80, 'x'));
    expect(res.statusCode).toBe(400);
  });
});

async function playToEnd2(gameId: string, from: number) {
  for (let round = from; round < 200; round++) {
    const body = (await move(gameId, round, 'paper')).json();
    if (body.finished) return;
  }
}

describe('GET /api/v1/bots', () => {
  it('lists the bots with win rates over finished human games', async () => {
    await build();
    let bots = (await app.inject('/api/v1/bots')).json().bots;
    expect(bots.map((b: { displayName: string }) => b.displayName)).toEqual(['Brian', 'Forrest', 'Logan']);
    expect(bots[0]).toMatchObject({ model: 'brian', algorithm: 'mlp', games: 0, winRate: null });
    const human = await start({ bot: 'brian' });
    const last = (await playToEnd(human.gameId)).at(-1)!;
    const synthetic = await start({ bot: 'brian', synthetic: true, player: 'Cal' });
    await playToEnd(synthetic.gameId);
    bots = (await app.inject('/api/v1/bots')).json().bots;
    const won = last.winner === 'bot' ? 1 : 0;
    expect(bots[0]).toMatchObject({ games: 1, botWins: won, winRate: won });
  });
});

describe('GET /api/v1/models', () => {
  it('says each default bot has no manifest and plays the uniform-EV fallback', async () => {
    await build();
    const { models } = (await app.inject('/api/v1/models')).json();
    expect(models).toEqual(
      ['brian', 'forrest', 'logan'].map((model, i) =>
        expect.objectContaining({
          model,
          displayName: ['Brian', 'Forrest', 'Logan'][i],
          algorithm: ['mlp', 'gbdt', 'logistic'][i],
          manifest: 'absent',
          fallback: true,
          aliases: {},
        }),
      ),
    );
  });
});

describe('internal endpoints', () => {
  it('require the bearer token', async () => {
    await build();
    for (const url of ['/api/v1/stats/versions?model=brian', '/api/v1/export/events']) {
      let res = await app.inject(url);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json().message).toContain('requires an "Authorization: Bearer <token>" header');
      res = await app.inject({ url, headers: { authorization: 'Bearer wrong-token-wrong-token' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toBe('the bearer token is not valid');
    }
  });

  it('are disabled without RPS_INTERNAL_TOKEN', async () => {
    await build({ config: { internalToken: null } });
    const res = await app.inject({ url: '/api/v1/export/events', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toContain('RPS_INTERNAL_TOKEN');
  });

  it('stats validate model and since', async () => {
    await build();
    let res = await app.inject({ url: '/api/v1/stats/versions', headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('querystring/model is required');
    res = await app.inject({ url: '/api/v1/stats/versions?model=brian&since=yesterday', headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('ISO 8601 time');
    for (const since of ['2024-05-01T00:00:00Z', '1714521600000']) {
      res = await app.inject({ url: `/api/v1/stats/versions?model=brian&since=${since}`, headers: auth });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        model: 'brian',
        since: '2024-05-01T00:00:00.000Z',
        excludeSynthetic: false,
        finishedGames: 0,
        versions: [],
      });
    }
  });

  it('export streams rounds as NDJSON in id order, paged by since with X-Next-Since', async () => {
    await build();
    const a = await start({ bot: 'brian', synthetic: true, player: 'Ace' });
    const b = await start({ bot: 'forrest', player: 'Bea' });
    for (let round = 1; round <= 3; round++) {
      await move(a.gameId, round, 'rock');
      await move(b.gameId, round, 'paper');
    }
    let res = await app.inject({ url: '/api/v1/export/events?since=0&limit=4', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const page1 = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(page1.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(res.headers['x-next-since']).toBe('4');
    for (const line of page1) expect(validate(ExportedRoundSchema, line)).toEqual({ ok: true, value: line });
    expect(page1[0]).toMatchObject({
      gameId: a.gameId,
      bot: 'brian',
      round: 1,
      playerMove: 'rock',
      synthetic: true,
      player: 'Ace',
    });
    expect(page1[1]).toMatchObject({ gameId: b.gameId, bot: 'forrest', synthetic: false, player: 'Bea' });
    res = await app.inject({ url: '/api/v1/export/events?since=4&limit=100', headers: auth });
    expect(
      res.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual([5, 6]);
    expect(res.headers['x-next-since']).toBe('6');
    res = await app.inject({ url: '/api/v1/export/events?since=6', headers: auth });
    expect(res.body).toBe('');
    expect(res.headers['x-next-since']).toBe('6');
    res = await app.inject({ url: '/api/v1/export/events?limit=0', headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('querystring/limit must be >= 1 (got 0)');
  });
});

describe('rate limit, health, metrics, web UI', () => {
  it('limits the public routes per client', async () => {
    await build({ config: { rateLimitPerMinute: 2 } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await app.inject('/api/v1/bots')).statusCode);
    expect(codes).toEqual([200, 200, 429]);
    const res = await app.inject('/api/v1/bots');
    expect(res.json().message).toMatch(/^Rate limit exceeded, retry in/);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  it('counts players behind a trusted proxy separately', async () => {
    await build({ config: { rateLimitPerMinute: 1, trustProxy: true } });
    const get = (ip: string) => app.inject({ url: '/api/v1/bots', headers: { 'x-forwarded-for': ip } });
    expect((await get('203.0.113.1')).statusCode).toBe(200);
    expect((await get('203.0.113.2')).statusCode).toBe(200);
    expect((await get('203.0.113.1')).statusCode).toBe(429);
  });

  it('reports health, readiness and metrics', async () => {
    await build();
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).json()).toEqual({ status: 'ready' });
    const { gameId } = await start();
    await playToEnd(gameId);
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/rpsq_moves_total\{bot="brian",alias="none",version="none"\} \d+/);
    expect(metrics).toMatch(
      /rpsq_games_finished_total\{bot="brian",alias="none",version="none",outcome="(bot|player|tie)"\} 1/,
    );
    expect(metrics).toMatch(/rpsq_fallback_moves_total\{bot="brian",reason="no_model"\} \d+/);
    expect(metrics).toContain('rpsq_move_duration_seconds_bucket');
  });

  it('serves the web UI and a JSON 404 elsewhere', async () => {
    await build();
    const page = await app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Choose your opponent');
    expect((await app.inject('/app.js')).headers['content-type']).toContain('javascript');
    expect((await app.inject('/styles.css')).headers['content-type']).toContain('text/css');
    expect((await app.inject('/base.css')).headers['content-type']).toContain('text/css');
    // every page names the one origin it may load from; MediaPipe compiles its wasm
    for (const url of ['/', '/dashboard']) {
      const csp = (await app.inject(url)).headers['content-security-policy'];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(csp).toContain("connect-src 'self'");
    }
    // MediaPipe Hands from the installed package, under its version, cached for a year
    const base = /data-hands="([^"]+)"/.exec(page.body)![1]!;
    expect(base).toMatch(/^\/vendor\/mediapipe\/hands\/\d+\.\d+\.\d+\/$/);
    for (const [file, type] of [
      ['hands.js', 'javascript'],
      ['hands_solution_simd_wasm_bin.wasm', 'application/wasm'],
      ['hand_landmark_full.tflite', 'application/octet-stream'],
    ]) {
      const asset = await app.inject(base + file);
      expect(asset.statusCode, file).toBe(200);
      expect(asset.headers['content-type']).toContain(type);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.rawPayload.length).toBe(Number(asset.headers['content-length']));
    }
    expect((await app.inject(base + 'package.json')).statusCode).toBe(404);
    const missing = await app.inject('/api/v1/nothing');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe('no route GET /api/v1/nothing');
  });
});
