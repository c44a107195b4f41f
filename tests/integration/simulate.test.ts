// `rpsq simulate` against a real game server (listening on a port, a SQLite file, logan serving a
// tiny model, the others uniform EV): the games are recorded, finished and marked synthetic with the
// players' names, and --min-human-games skips when humans played enough. Every route's reply from
// the listening server is checked against its schema in core, and read by the operator's client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app/build-app.ts';
import { main, simulate } from '../../app/simulate.ts';
import type { TSchema } from '@sinclair/typebox';
import {
  BotsReplySchema,
  DriftReplySchema,
  ErrorReplySchema,
  ExportedRoundSchema,
  GameReplySchema,
  ModelsReplySchema,
  MoveReplySchema,
  SYNTHETIC_PLAYER_NAMES,
  StartGameReplySchema,
  VersionStatsReplySchema,
  seededRandom,
  validate,
  type ExportedRound,
} from '../../core/index.ts';
import { GameServerClient } from '../../operator/game-server.ts';
import { seedModelCache, servingManifest, writeManifest } from '../support/app-fixtures.ts';
import { tinyOnnxModel } from '../support/tiny-onnx.ts';

const TOKEN = 'simulate-test-token-0123456789';
let dir: string;
let app: FastifyInstance;
let url: string;

async function exported(): Promise<ExportedRound[]> {
  const res = await fetch(`${url}/api/v1/export/events?since=0&limit=100000`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExportedRound);
}

async function captured(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const log = console.log;
  let out = '';
  console.log = (line: string) => (out += `${line}\n`);
  const error = console.error;
  console.error = (line: string) => (out += `${line}\n`);
  try {
    return { code: await main(argv), out };
  } finally {
    console.log = log;
    console.error = error;
    process.env = saved;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rps-simulate-'));
  // logan serves a (tiny) version, so its finished games count in the per-version stats
  const v1 = { version: 'v1', bytes: tinyOnnxModel({ hidden: 8, seed: 1, tag: 'simulate' }) };
  seedModelCache(path.join(dir, 'cache'), v1.bytes);
  writeManifest(path.join(dir, 'manifests'), servingManifest('logan', { Production: v1, B: v1 }));
  app = await buildApp({
    logger: false,
    processMetrics: false,
    random: seededRandom(3),
    config: {
      internalToken: TOKEN,
      dbPath: path.join(dir, 'game.db'),
      modelCacheDir: path.join(dir, 'cache'),
      manifestDir: path.join(dir, 'manifests'),
    },
  });
  url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A person's game through the public API, paper every round, to its end. */
async function playHumanGame(bot: string, player: string): Promise<void> {
  const start = (await (
    await fetch(`${url}/api/v1/games`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bot, player }),
    })
  ).json()) as { gameId: string };
  let finished = false;
  for (let round = 1; !finished && round < 200; round++) {
    const res = await fetch(`${url}/api/v1/games/${start.gameId}/moves`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ round, move: 'paper' }),
    });
    finished = ((await res.json()) as { finished: boolean }).finished;
  }
  expect(finished).toBe(true);
}

describe('rpsq simulate', () => {
  it('plays whole games that are recorded as synthetic, with the player names', async () => {
    const summary = await simulate({ url, games: 6, bots: ['brian', 'forrest'], seed: 1, concurrency: 2 });
    expect(summary.games).toBe(6);
    expect(summary.byBot.brian?.games).toBe(3);
    expect(summary.byBot.forrest?.games).toBe(3);
    const rounds = await exported();
    expect(rounds).toHaveLength(summary.rounds);
    const games = new Map(rounds.map((r) => [r.gameId, r]));
    expect(games.size).toBe(6);
    for (const r of rounds) {
      expect(r.synthetic).toBe(true);
      expect(SYNTHETIC_PLAYER_NAMES).toContain(r.player);
    }
    // every game reached its end: one side at 10 points in its last round
    for (const gameId of games.keys()) {
      const last = rounds.filter((r) => r.gameId === gameId).at(-1)!;
      expect(Math.max(last.playerScore, last.botScore)).toBe(10);
    }
  });

  it('skips when enough human games finished in the window, and plays when not', async () => {
    const before = (await exported()).length;
    const noHumans = await captured(
      ['--url', url, '--games', '2', '--bots', 'logan', '--min-human-games', '1'],
      { RPS_INTERNAL_TOKEN: TOKEN },
    );
    expect(noHumans.out).not.toContain('simulate:');
    expect(noHumans.code).toBe(0);
    expect(JSON.parse(noHumans.out).games).toBe(2);
    const afterPlay = (await exported()).length;
    expect(afterPlay).toBeGreaterThan(before);

    // one human game against logan, to its end
    await playHumanGame('logan', 'Ada');

    // the thresholds from the environment, as the CronJob sets them
    const skipped = await captured(['--url', url, '--bots', 'logan'], {
      RPS_MIN_HUMAN_GAMES: '1',
      RPS_WINDOW_MINUTES: '60',
      RPS_INTERNAL_TOKEN: TOKEN,
    });
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.out)).toMatchObject({ skipped: true, humanGames: 1, minHumanGames: 1 });
    expect((await exported()).filter((r) => r.synthetic)).toHaveLength(afterPlay);

    // a human game against brian, which serves no version yet (the default bot plays), counts too
    await playHumanGame('brian', 'Bea');
    const brianStats = (await (
      await fetch(`${url}/api/v1/stats/versions?model=brian&excludeSynthetic=true`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as { finishedGames: number; versions: unknown[] };
    expect(brianStats).toMatchObject({ finishedGames: 1, versions: [] });
    const brianSkipped = await captured(['--url', url, '--bots', 'brian', '--min-human-games', '1'], {
      RPS_INTERNAL_TOKEN: TOKEN,
    });
    expect(JSON.parse(brianSkipped.out)).toMatchObject({ skipped: true, humanGames: 1 });
  });

  it('answers every route with a reply its schema in core accepts, and the operator reads them', async () => {
    const get = async (path: string, status = 200) => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status, path).toBe(status);
      return res.json() as Promise<unknown>;
    };
    const post = async (path: string, body: unknown, status: number) => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, path).toBe(status);
      return res.json() as Promise<Record<string, unknown>>;
    };
    const expectValid = (schema: TSchema, value: unknown) => {
      const result = validate(schema, value);
      expect(result.ok ? [] : result.errors).toEqual([]);
    };

    const started = await post('/api/v1/games', { bot: 'logan', player: 'Cy' }, 201);
    expectValid(StartGameReplySchema, started);
    const gameId = started.gameId as string;
    let reply: Record<string, unknown> = {};
    for (let round = 1; reply.finished !== true && round < 200; round++) {
      reply = await post(`/api/v1/games/${gameId}/moves`, { round, move: 'rock', input: 'key' }, 200);
      expectValid(MoveReplySchema, reply);
    }
    expect(reply).toMatchObject({ finished: true, version: 'v1' });
    expectValid(GameReplySchema, await get(`/api/v1/games/${gameId}`));
    expectValid(
      ErrorReplySchema,
      await post(`/api/v1/games/${gameId}/moves`, { round: 99, move: 'rock' }, 409),
    );
    expectValid(BotsReplySchema, await get('/api/v1/bots'));
    expectValid(ModelsReplySchema, await get('/api/v1/models'));
    expectValid(VersionStatsReplySchema, await get('/api/v1/stats/versions?model=logan'));
    expectValid(DriftReplySchema, await get('/api/v1/stats/drift?model=logan'));
    expectValid(DriftReplySchema, await get('/api/v1/stats/drift'));
    for (const round of await exported()) expectValid(ExportedRoundSchema, round);

    // the operator's client validates the parts it reads on arrival
    const client = new GameServerClient({ baseUrl: url, token: TOKEN });
    expect((await client.models()).find((m) => m.model === 'logan')).toMatchObject({
      manifest: 'present',
      aliases: { Production: { version: 'v1', loaded: true } },
    });
    expect(await client.versionStats('logan', new Date(0).toISOString(), false)).toEqual([
      expect.objectContaining({ model: 'logan', version: 'v1' }),
    ]);
    expect(await client.drift('logan')).toMatchObject({ version: 'v1', insufficientData: true });
  });
});
