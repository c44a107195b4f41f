import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../app/db/database.ts';
import { GameStore } from '../../app/db/game-store.ts';
import { MIGRATIONS } from '../../app/db/migrations.ts';
import { coldStartCorpus } from '../../core/index.ts';
import {
  DatasetError,
  buildDataset,
  datasetFile,
  groupGames,
  readEventsFromFile,
  readEventsFromServer,
} from '../../trainer/dataset.ts';
import { asExportedRounds, repeaterGames } from './trainer-fixtures.ts';

const OPTIONS = { maxEvents: 100_000, minTotalEvents: 0, syntheticStride: 1, bootstrapGames: 200, seed: 5 };
const human = asExportedRounds(repeaterGames(10, 1));
const rounds = (games: { rounds: unknown[] }[]) => games.reduce((n, g) => n + g.rounds.length, 0);

describe('grouping exported rounds into games', () => {
  it('keeps each game in round order, oldest game first', () => {
    const { games, dropped } = groupGames([...human].reverse());
    expect(dropped).toBe(0);
    expect(games.map((g) => g.gameId)).toEqual(repeaterGames(10, 1).map((g) => g.gameId));
    for (const g of games) expect(g.rounds.map((r) => r.round)).toEqual(g.rounds.map((_, i) => i + 1));
  });

  it('drops the rounds after a gap: their features would miss an earlier round', () => {
    const first = human.filter((e) => e.gameId === human[0]!.gameId);
    const withGap = human.filter((e) => !(e.gameId === human[0]!.gameId && e.round === 3));
    const { games, dropped } = groupGames(withGap);
    expect(games[0]!.rounds.length).toBe(2);
    expect(dropped).toBe(first.length - 3);
  });
});

describe('building the dataset', () => {
  it('keeps the newest maxEvents rounds, cutting the oldest kept game to a prefix', () => {
    const d = buildDataset(human, { ...OPTIONS, maxEvents: 50 });
    expect(d.summary.events).toBe(50);
    expect(rounds(d.games)).toBe(50);
    const last = human[human.length - 1]!;
    expect(d.games[d.games.length - 1]!.gameId).toBe(last.gameId);
    expect(d.summary.lastEventId).toBe(last.id);
    expect(d.games[0]!.rounds[0]!.round).toBe(1);
    expect(d.summary.exportedEventsDropped).toBe(human.length - 50);
  });

  it('down-samples synthetic-player games by the stride and keeps human games', () => {
    const synthetic = asExportedRounds(repeaterGames(9, 2), { firstId: 10_000, synthetic: true });
    const d = buildDataset([...human, ...synthetic], { ...OPTIONS, syntheticStride: 3 });
    expect(d.summary.humanGames).toBe(10);
    expect(d.summary.syntheticGames).toBe(3);
    expect(d.summary.humanEvents).toBe(human.length);
    expect(d.summary.syntheticEvents).toBe(rounds(d.games.filter((g) => g.synthetic)));
    // the newest synthetic game is always kept
    expect(d.games[d.games.length - 1]!.gameId).toBe(synthetic[synthetic.length - 1]!.gameId);
  });

  it('leaves out whole games with a move entered by a method not listed, reading a missing input as click', () => {
    const second = human.find((e) => e.gameId !== human[0]!.gameId)!.gameId;
    // one camera move in the first game; the second game all key; the rest as old exports (no field)
    const events = human.map((e) =>
      e.gameId === human[0]!.gameId && e.round === 2
        ? { ...e, input: 'camera' as const }
        : e.gameId === second
          ? { ...e, input: 'key' as const }
          : e,
    );
    const all = buildDataset(events, OPTIONS);
    expect(all.summary.humanGames).toBe(10);
    expect(all.summary.inputs).toEqual(['click', 'key', 'camera']);
    const noCamera = buildDataset(events, { ...OPTIONS, inputs: ['click', 'key'] });
    expect(noCamera.games.map((g) => g.gameId)).not.toContain(human[0]!.gameId);
    expect(noCamera.summary.humanGames).toBe(9);
    expect(noCamera.summary.inputs).toEqual(['click', 'key']);
    const clicksOnly = buildDataset(events, { ...OPTIONS, inputs: ['click'] });
    expect(clicksOnly.summary.humanGames).toBe(8);
    expect(clicksOnly.summary.exportedEventsDropped).toBe(human.length - clicksOnly.summary.humanEvents);
  });

  it('tops up with seeded cold-start games (older than all exported games) below minTotalEvents', () => {
    const d = buildDataset(human, { ...OPTIONS, minTotalEvents: human.length + 100 });
    expect(d.summary.events).toBeGreaterThanOrEqual(human.length + 100);
    expect(d.summary.coldStartGames).toBeGreaterThan(0);
    expect(d.summary.coldStartEvents).toBe(d.summary.events - human.length);
    const corpus = coldStartCorpus({ games: d.summary.coldStartGames, seed: 5 });
    expect(d.games.slice(0, corpus.length).map((g) => g.gameId)).toEqual(corpus.map((g) => g.gameId));
    expect(d.games.slice(0, corpus.length).every((g) => g.source === 'cold-start')).toBe(true);
  });

  it('uses the whole corpus when there is no data at all, and no top-up when there is enough', () => {
    const empty = buildDataset([], { ...OPTIONS, minTotalEvents: 1_000_000, bootstrapGames: 20 });
    expect(empty.summary.coldStartGames).toBe(20);
    expect(empty.summary.from).toBeNull();
    expect(buildDataset(human, { ...OPTIONS, minTotalEvents: 10 }).summary.coldStartGames).toBe(0);
  });
});

describe('dataset.ndjson.gz', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rps-trainer-dataset-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds exactly the exported rounds used, and reads back as a data file', async () => {
    const d = buildDataset(human, { ...OPTIONS, maxEvents: 40, minTotalEvents: 100, bootstrapGames: 10 });
    const file = datasetFile(d);
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(datasetFile(d).bytes.equals(file.bytes)).toBe(true);
    const p = path.join(dir, 'dataset.ndjson.gz');
    writeFileSync(p, file.bytes);
    const back = await readEventsFromFile(p);
    expect(back).toEqual(d.games.flatMap((g) => g.events));
    expect(back.length).toBe(40);
    // retraining from the file rebuilds the same dataset
    const again = buildDataset(back, { ...OPTIONS, maxEvents: 40, minTotalEvents: 100, bootstrapGames: 10 });
    expect(again.games).toEqual(d.games);
  });

  it("reads the game server's SQLite database through its own export query", async () => {
    const p = path.join(dir, 'game.db');
    const db = openDatabase(p);
    const store = new GameStore(db);
    const games = repeaterGames(3, 9);
    let at = Date.UTC(2025, 5, 1);
    for (const g of games) {
      const game = {
        id: g.gameId,
        bot: 'forrest',
        gambit: g.gambit,
        alias: 'Production' as const,
        version: null,
        player: null,
        synthetic: false,
        playerScore: 0,
        botScore: 0,
        roundsPlayed: 0,
        finished: false,
        winner: null,
        createdAt: at,
        finishedAt: null,
      };
      store.createGame(game);
      g.rounds.forEach((round, i) => {
        const last = i === g.rounds.length - 1;
        store.recordMove({
          game,
          round,
          fallback: false,
          input: 'key',
          predictions: [],
          finished: last,
          winner: last ? g.winner : null,
          at: (at += 1000),
        });
      });
    }
    db.close();
    const events = await readEventsFromFile(p);
    expect(events).toHaveLength(rounds(games));
    expect(groupGames(events).games.map((g) => g.rounds)).toEqual(games.map((g) => g.rounds));
    expect(new Set(events.map((e) => e.input))).toEqual(new Set(['key']));
  });

  it('refuses a database of an older schema (it is opened read only) and says how to migrate it', async () => {
    const p = path.join(dir, 'old.db');
    openDatabase(p, MIGRATIONS.slice(0, 2)).close();
    await expect(readEventsFromFile(p)).rejects.toThrow(
      `${p} has schema version 2, this trainer reads version 4: start this version of the game server on it once (it migrates at start), or export it to NDJSON`,
    );
  });

  it('names the line of a malformed file', async () => {
    const p = path.join(dir, 'bad.ndjson');
    writeFileSync(
      p,
      JSON.stringify(human[0]) + '\n' + JSON.stringify({ ...human[1], playerMove: 'lizard' }) + '\n',
    );
    await expect(readEventsFromFile(p)).rejects.toThrow(
      /bad\.ndjson line 2 is not an exported round: \/playerMove/,
    );
  });
});

describe('reading the game server export', () => {
  let server: Server;
  let baseUrl: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      seen.push(`${url.pathname}?${url.searchParams}`);
      if (req.headers.authorization !== 'Bearer s3cret') {
        res.writeHead(401).end('{"error":"token"}');
        return;
      }
      const since = Number(url.searchParams.get('since'));
      const limit = Number(url.searchParams.get('limit'));
      const page = human.filter((e) => e.id > since).slice(0, limit);
      res.writeHead(200, {
        'content-type': 'application/x-ndjson',
        'x-next-since': String(page.length ? page[page.length - 1]!.id : since),
      });
      res.end(page.map((e) => JSON.stringify(e) + '\n').join(''));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('pages through every round with the since cursor and the bearer token', async () => {
    seen.length = 0;
    const events = await readEventsFromServer({ baseUrl, token: 's3cret', pageSize: 40 });
    expect(events).toEqual(human);
    expect(seen[0]).toBe('/api/v1/export/events?since=0&limit=40');
    expect(seen.length).toBe(Math.ceil(human.length / 40) + 1);
  });

  it('says so when the token is refused', async () => {
    await expect(readEventsFromServer({ baseUrl, token: 'wrong' })).rejects.toThrow(
      /refused the data token \(HTTP 401\); check RPS_DATA_TOKEN/,
    );
  });

  it('gives up with a clear error when the server stays unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await readEventsFromServer({
      baseUrl: `http://127.0.0.1:${port}`,
      retries: 2,
      backoffMs: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(/unavailable after 2 attempts \(ECONNREFUSED\)/);
  });
});
