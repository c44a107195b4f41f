import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../app/db/database.ts';
import { GameStore } from '../../app/db/game-store.ts';
import { MoveConflictError, type GameRecord, type MoveRecord } from '../../app/db/records.ts';
import { PG_MIGRATIONS, pgSchemaVersion } from '../../app/db/pg-migrations.ts';
import { PgStore } from '../../app/db/pg-store.ts';
import { insertMove, lockRoundsForInsert } from '../../app/db/pg-sql.ts';
import { PgBatchWriter } from '../../app/db/pg-writer.ts';
import { DatabaseUnavailableError, ExportBusyError, SqliteStore, type Store } from '../../app/db/store.ts';
import { ServedVersionsRecorder } from '../../app/served-versions.ts';
import { newGame, playRound, type GameState, type Move } from '../../core/index.ts';
import { startPostgres, type PostgresServer } from '../../hack/harness/postgres.ts';

let server: PostgresServer;
let dir: string;
let dbCount = 0;
const open: Store[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'app-store-'));
  server = await startPostgres({ dir });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** a fresh PostgreSQL database on the shared server */
async function freshPgUrl(): Promise<string> {
  return server.createDatabase(`store_${process.pid}_${++dbCount}`);
}

const backends: [string, () => Promise<Store>][] = [
  ['sqlite', async () => new SqliteStore(new GameStore(openDatabase(':memory:')))],
  [
    'postgres',
    async () => {
      const s = await PgStore.open({ url: await freshPgUrl() });
      open.push(s);
      return s;
    },
  ],
];

const game = (id: string, over: Partial<GameRecord> = {}): GameRecord => ({
  id,
  bot: 'brian',
  gambit: 'razor',
  alias: 'Production',
  version: 'v1',
  player: null,
  synthetic: false,
  playerScore: 0,
  botScore: 0,
  roundsPlayed: 0,
  finished: false,
  winner: null,
  createdAt: 1000,
  finishedAt: null,
  ...over,
});

function move(g: GameRecord, state: GameState, at: number, extra: Partial<MoveRecord> = {}): MoveRecord {
  return {
    game: g,
    round: state.rounds.at(-1)!,
    input: 'click',
    fallback: false,
    predictions: [],
    finished: state.finished,
    winner: state.winner,
    at,
    ...extra,
  };
}

/** plays `moves` as the player (the bot always answers rock) and stores every round; returns the state */
async function play(store: Store, g: GameRecord, moves: Move[], at = 2000): Promise<GameState> {
  let state = newGame(g.id, g.gambit);
  for (const [i, m] of moves.entries()) {
    state = playRound(state, i + 1, m, 'rock');
    await store.recordMove(move(g, state, at + i));
    if (state.finished) break;
  }
  return state;
}

describe.each(backends)('game store on %s', (_name, make) => {
  it('stores games, rounds and each version’s predictions; gives them back in round order', async () => {
    const store = await make();
    const g = game('g2');
    await store.createGame(g);
    expect(await store.getGame('g2')).toEqual(g);
    expect(await store.getGame('missing')).toBeNull();
    let state = newGame('g2', 'razor');
    for (let r = 1; r <= 5; r++) {
      state = playRound(state, r, 'rock', 'paper');
      const predictions =
        r < 4
          ? []
          : [
              { version: 'v1', aliases: ['Production' as const], probabilities: [0.5, 0.25, 0.25] as const },
              {
                version: 'v2',
                aliases: ['B' as const, 'Shadow1' as const],
                probabilities: [0.1, 0.8, 0.1] as const,
              },
            ].map((p) => ({ ...p, predicted: 'rock' as const, correct: true }));
      const id = await store.recordMove(move(g, state, 2000 + r, { predictions, fallback: r === 2 }));
      expect(id).toBeGreaterThan(0);
    }
    const rounds = await store.getRounds('g2');
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5]);
    expect(rounds[1]).toMatchObject({
      fallback: true,
      playerMove: 'rock',
      botMove: 'paper',
      input: 'click',
      createdAt: 2002,
    });
    expect(rounds.map(({ id: _i, fallback: _f, input: _n, createdAt: _c, ...r }) => r)).toEqual(state.rounds);
    expect(await store.getPredictions('g2', 'v1')).toEqual([
      { round: 4, probabilities: [0.5, 0.25, 0.25] },
      { round: 5, probabilities: [0.5, 0.25, 0.25] },
    ]);
    expect(await store.getPredictions('g2', 'v9')).toEqual([]);
    expect(await store.getGame('g2')).toMatchObject({ roundsPlayed: 5, playerScore: state.playerScore });
  });

  it('stores a move only when the game waits for that round, all or nothing', async () => {
    const store = await make();
    const g = game('g1');
    await store.createGame(g);
    const state = playRound(newGame('g1', 'razor'), 1, 'rock', 'scissors');
    await store.recordMove(move(g, state, 2000));
    await expect(store.recordMove(move(g, state, 2001))).rejects.toBeInstanceOf(MoveConflictError);
    const skipped = playRound(playRound(state, 2, 'rock', 'rock'), 3, 'rock', 'rock');
    await expect(store.recordMove(move(g, skipped, 2002))).rejects.toBeInstanceOf(MoveConflictError);
    const bad = playRound(state, 2, 'paper', 'rock');
    const broken = move(g, bad, 2003, {
      predictions: [
        {
          version: 'v1',
          aliases: [],
          probabilities: [0.2, 0.3, 0.5],
          predicted: 'lizard' as Move,
          correct: false,
        },
      ],
    });
    await expect(store.recordMove(broken)).rejects.toThrow(/check/i);
    expect(await store.getRounds('g1')).toHaveLength(1);
    expect(await store.getGame('g1')).toMatchObject({ roundsPlayed: 1, playerScore: state.playerScore });
  });

  it('answers records, per-version stats, recent games and the A/B buckets from finished games', async () => {
    const store = await make();
    const specs = [
      { id: 'a', version: 'v1', synthetic: false, createdAt: 100 },
      { id: 'b', version: 'v2', synthetic: false, createdAt: 200 },
      { id: 'c', version: 'v10', synthetic: true, createdAt: 200 },
      { id: 'd', version: 'v1', synthetic: false, createdAt: 300 },
    ];
    for (const s of specs) {
      const g = game(s.id, { version: s.version, synthetic: s.synthetic, createdAt: s.createdAt });
      await store.createGame(g);
      const moves: Move[] = s.id === 'a' ? Array(40).fill('scissors') : Array(40).fill('paper');
      await play(store, g, s.id === 'd' ? ['paper', 'paper', 'paper', 'paper'] : moves, 5000);
    }
    const records = await store.botRecords();
    expect(records.get('brian')).toEqual({ games: 2, botWins: 1, playerWins: 1, ties: 0 });
    expect(await store.finishedGames('brian', 0, false)).toBe(3);
    expect(await store.finishedGames('brian', 0, true)).toBe(2);
    const stats = await store.versionStats('brian', 0, false);
    expect(stats.map((s) => s.version)).toEqual(['v1', 'v2', 'v10']);
    expect(stats[0]).toMatchObject({ games: 1, botWins: 1, botLosses: 0, predictions: 0 });
    expect(await store.recentGameIds('brian', 4, 10, false)).toEqual(['d', 'c', 'b', 'a']);
    expect(await store.recentGameIds('brian', 5, 2, true)).toEqual(['b', 'a']);
    const first = await store.firstFinished('brian', 'v1', 'v2', 0, false);
    expect(first).not.toBeNull();
    const buckets = await store.gameBuckets('brian', 'v1', 'v2', first!, 1000, false);
    expect(buckets.reduce((n, b) => n + b.games, 0)).toBe(2);
    expect(buckets.every((b) => Number.isInteger(b.bucket) && b.bucket >= 0)).toBe(true);
  });

  it('records served versions as changes only, newest first', async () => {
    const store = await make();
    expect(await store.pairSince('brian')).toBeNull();
    const first = await store.recordServedVersions('brian', { Production: 'v1' }, 10);
    expect(first.map((c) => [c.alias, c.version, c.previous])).toEqual([['Production', 'v1', null]]);
    expect(await store.recordServedVersions('brian', { Production: 'v1' }, 11)).toEqual([]);
    await store.recordServedVersions('brian', { Production: 'v2', B: 'v1' }, 20);
    const changes = await store.aliasChanges('brian', 10);
    expect(changes.map((c) => [c.alias, c.version, c.previous, c.at])).toEqual([
      ['B', 'v1', null, 20],
      ['Production', 'v2', 'v1', 20],
      ['Production', 'v1', null, 10],
    ]);
    expect(await store.pairSince('brian')).toBe(20);
  });

  it('reads the latest predictions of a version newest first', async () => {
    const store = await make();
    const g = game('p', { synthetic: true });
    await store.createGame(g);
    let state = newGame('p', 'razor');
    for (let r = 1; r <= 3; r++) {
      state = playRound(state, r, 'rock', 'rock');
      const predictions = [
        {
          version: 'v1',
          aliases: ['Production' as const],
          probabilities: [1, 0, 0] as const,
          predicted: 'rock' as const,
          correct: r !== 2,
        },
      ];
      await store.recordMove(move(g, state, 100 * r, { predictions }));
    }
    expect(await store.recentPredictions('brian', 'v1', 2, false)).toEqual([
      { at: 300, correct: 1 },
      { at: 200, correct: 0 },
    ]);
    expect(await store.recentPredictions('brian', 'v1', 2, true)).toEqual([]);
  });

  it('keeps the drift history, the latest samples oldest first', async () => {
    const store = await make();
    expect(await store.driftSamples('brian', 10)).toEqual([]);
    for (let i = 1; i <= 4; i++) {
      await store.recordDriftSample('brian', {
        t: i * 1000,
        version: 'v1',
        score: i === 2 ? null : i / 10,
        drifted: i === 4,
      });
    }
    await store.recordDriftSample('logan', { t: 9000, version: null, score: null, drifted: false });
    expect(await store.driftSamples('brian', 3)).toEqual([
      { t: 2000, version: 'v1', score: null, drifted: false },
      { t: 3000, version: 'v1', score: 0.3, drifted: false },
      { t: 4000, version: 'v1', score: 0.4, drifted: true },
    ]);
    // another replica's check within the gap is not stored; the next one after it is
    const sample = (t: number) => ({ t, version: 'v1', score: 0.5, drifted: false });
    expect(await store.recordDriftSample('brian', sample(4500), 1000)).toBe(false);
    expect(await store.recordDriftSample('brian', sample(5000), 1000)).toBe(true);
    expect((await store.driftSamples('brian', 10)).map((x) => x.t)).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it('stores how each move was entered and counts a bot’s recent moves by input method', async () => {
    const store = await make();
    const g = game('i');
    await store.createGame(g);
    let state = newGame(g.id, g.gambit);
    const inputs = ['camera', 'key', 'camera'] as const;
    for (const [i, input] of inputs.entries()) {
      state = playRound(state, i + 1, 'paper', 'rock');
      await store.recordMove(move(g, state, 3000 + i, { input }));
    }
    const until = await store.exportEnd(0, 10);
    expect((await store.exportPage(0, until!, 10)).map((r) => r.input)).toEqual(inputs);
    expect((await store.getRounds('i')).map((r) => r.input)).toEqual(inputs);
    expect(await store.recentInputs('brian', 10, false)).toEqual({ click: 0, key: 1, camera: 2 });
    expect(await store.recentInputs('logan', 10, false)).toEqual({ click: 0, key: 0, camera: 0 });
  });

  it('pages the export by round id: a page’s end is fixed, the next page starts after it', async () => {
    const store = await make();
    expect(await store.exportEnd(0, 10)).toBeNull();
    const g = game('e', { player: 'Ann' });
    await store.createGame(g);
    await play(store, g, ['rock', 'paper', 'scissors', 'rock', 'paper']);
    const ids = (await store.getRounds('e')).map((r) => r.id);
    const until = await store.exportEnd(0, 3);
    expect(until).toBe(ids[2]);
    const page = await store.exportPage(0, until!, 1000);
    expect(page.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(page[0]).toMatchObject({
      gameId: 'e',
      bot: 'brian',
      player: 'Ann',
      synthetic: false,
      alias: 'Production',
    });
    expect(page[0]!.createdAt).toBe(new Date(2000).toISOString());
    expect(
      (await store.exportPage(until!, (await store.exportEnd(until!, 10))!, 1000)).map((r) => r.round),
    ).toEqual([4, 5]);
    expect(await store.exportEnd(ids[4]!, 10)).toBeNull();
  });
});

describe('PostgreSQL store', () => {
  it('applies each migration once when several replicas start at once (advisory lock)', async () => {
    const url = await freshPgUrl();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PgStore.open({ url })));
    open.push(...stores);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect(await pgSchemaVersion(client)).toBe(PG_MIGRATIONS.at(-1)!.version);
      const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r: { version: number }) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    } finally {
      await client.end();
    }
  });

  it('accepts a round once when two replicas store it at the same time', async () => {
    const url = await freshPgUrl();
    const [a, b] = [await PgStore.open({ url }), await PgStore.open({ url })];
    open.push(a, b);
    const g = game('race');
    await a.createGame(g);
    let state = newGame('race', 'razor');
    for (let r = 1; r <= 8; r++) {
      state = playRound(state, r, 'rock', 'rock');
      const results = await Promise.allSettled([
        a.recordMove(move(g, state, r)),
        b.recordMove(move(g, state, r)),
      ]);
      expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((x) => x.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(MoveConflictError);
    }
    expect((await a.getRounds('race')).map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stores one drift sample when several replicas check a bot at once', async () => {
    const url = await freshPgUrl();
    const stores = await Promise.all(Array.from({ length: 3 }, () => PgStore.open({ url })));
    open.push(...stores);
    const stored = await Promise.all(
      stores.map((s, i) =>
        s.recordDriftSample('brian', { t: 10_000 + i, version: 'v1', score: 0.1, drifted: false }, 1000),
      ),
    );
    expect(stored.filter(Boolean)).toHaveLength(1);
    expect(await stores[0]!.driftSamples('brian', 10)).toHaveLength(1);
  });

  it('inserts rounds of several replicas side by side; an export page ends only after the inserts in flight', async () => {
    const url = await freshPgUrl();
    const [a, b] = [await PgStore.open({ url }), await PgStore.open({ url })];
    open.push(a, b);
    const [slow, fast] = [game('slow'), game('fast')];
    await a.createGame(slow);
    await a.createGame(fast);
    // replica a's insert takes the smaller id and stays open; replica b stores a larger id meanwhile
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let inserted!: () => void;
    const slowInserted = new Promise<void>((resolve) => (inserted = resolve));
    const slowId = a.transaction(async (client) => {
      await lockRoundsForInsert(client);
      const id = await insertMove(
        client,
        move(slow, playRound(newGame('slow', 'razor'), 1, 'rock', 'paper'), 1),
      );
      inserted();
      await committing;
      return id;
    });
    await slowInserted;
    const fastId = await b.recordMove(move(fast, playRound(newGame('fast', 'razor'), 1, 'rock', 'paper'), 2));
    // the export waits for the open insert instead of ending a page at fastId without it
    const until = b.exportEnd(0, 100);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await expect
        .poll(
          async () =>
            (await client.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`))
              .rowCount,
        )
        .toBe(1);
    } finally {
      await client.end();
    }
    commit();
    expect(await slowId).toBeLessThan(fastId);
    expect(await until).toBe(fastId);
    expect((await b.exportPage(0, fastId, 100)).map((r) => r.gameId)).toEqual(['slow', 'fast']);
  });

  /** a writer that inserted round 1 of `g` and then hangs: its transaction stays open, holding ROUNDS_LOCK */
  async function hangingWriter(
    store: PgStore,
    g: GameRecord,
  ): Promise<{ client: pg.PoolClient; ended: Promise<Error> }> {
    const client = await store.pool.connect();
    // the server's error, then the connection's end
    const ended = new Promise<Error>((resolve) => client.on('error', resolve));
    await client.query('BEGIN');
    await lockRoundsForInsert(client);
    await insertMove(client, move(g, playRound(newGame(g.id, 'razor'), 1, 'rock', 'paper'), 1));
    return { client, ended };
  }

  /** game `done` with round 1 stored, then game `hung` with a hanging writer of its round 1 */
  async function storedAndHanging(writers: PgStore) {
    const [done, hung] = [game('done'), game('hung')];
    await writers.createGame(done);
    await writers.createGame(hung);
    const doneId = await writers.recordMove(
      move(done, playRound(newGame('done', 'razor'), 1, 'rock', 'paper'), 1),
    );
    return { doneId, writer: await hangingWriter(writers, hung) };
  }

  it('fails an export that a hanging writer holds back longer than its lock timeout with ExportBusyError', async () => {
    const url = await freshPgUrl();
    const [writers, exporter] = [
      await PgStore.open({ url }),
      await PgStore.open({ url, exportLockTimeoutMs: 300 }),
    ];
    open.push(writers, exporter);
    const { doneId, writer } = await storedAndHanging(writers);
    try {
      const err = (await exporter.exportEnd(0, 100).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(ExportBusyError);
      expect(err.message).toMatch(/waited 300 ms for the transactions that insert rounds to end.*retry/);
      // once the export has given up, the inserts of other replicas go on while the writer hangs
      const other = game('other');
      await writers.createGame(other);
      await writers.recordMove(move(other, playRound(newGame('other', 'razor'), 1, 'rock', 'paper'), 2));
    } finally {
      await writer.client.query('ROLLBACK');
      writer.client.release();
    }
    // once the writer has ended, the export goes on (the rolled back round was never exported)
    const until = (await exporter.exportEnd(0, 100))!;
    expect((await exporter.exportPage(0, until, 100)).map((r) => r.gameId)).toEqual(['done', 'other']);
    expect(until).toBeGreaterThan(doneId);
  });

  it('ends a writer that hangs in its transaction (idle_in_transaction_session_timeout), so the export goes on', async () => {
    const url = await freshPgUrl();
    const writers = await PgStore.open({ url, idleInTransactionTimeoutMs: 1000 });
    // an export that would wait as long as it takes: PostgreSQL ending the writer is what lets it go on
    const exporter = await PgStore.open({ url, exportLockTimeoutMs: 120_000 });
    open.push(writers, exporter);
    const { doneId, writer } = await storedAndHanging(writers);
    expect(await exporter.exportEnd(0, 100)).toBe(doneId);
    const ended = await writer.ended;
    expect((ended as Error & { code?: string }).code).toBe('25P03');
    writer.client.release(ended);
    // its round was rolled back; the writer's pool makes a new connection for the next move
    expect(await writers.getRounds('hung')).toEqual([]);
    await writers.recordMove(move(game('hung'), playRound(newGame('hung', 'razor'), 1, 'rock', 'paper'), 2));
    expect(
      (await exporter.exportPage(0, (await exporter.exportEnd(0, 100))!, 100)).map((r) => r.gameId),
    ).toEqual(['done', 'hung']);
  });

  it('commits queued moves in batches, in order, acknowledging each after its commit', async () => {
    const url = await freshPgUrl();
    const store = await PgStore.open({ url });
    open.push(store);
    const writer = new PgBatchWriter(store, { debug: () => undefined } as never);
    const games = Array.from({ length: 50 }, (_, i) => game(`w${i}`));
    for (const g of games) await writer.createGame(g);
    const states = games.map((g) => playRound(newGame(g.id, g.gambit), 1, 'rock', 'paper'));
    // one conflicting move (round 1 of w0 twice) fails alone; the others of its batch are stored
    // every move with two versions' predictions (the odd games' second one marks them apart)
    const predictions = (i: number) =>
      [0.2, i % 2 ? 0.7 : 0.1].map((rock, v) => ({
        version: `v${v + 1}`,
        aliases: [v ? ('B' as const) : ('Production' as const)],
        probabilities: [rock, 0.1, 0.9 - rock] as const,
        predicted: 'scissors' as const,
        correct: false,
      }));
    const acks = await Promise.allSettled([
      ...games.map((g, i) => writer.recordMove(move(g, states[i]!, 10 + i, { predictions: predictions(i) }))),
      writer.recordMove(move(games[0]!, states[0]!, 99)),
    ]);
    expect(acks.filter((a) => a.status === 'fulfilled')).toHaveLength(50);
    expect((acks.at(-1) as PromiseRejectedResult).reason).toBeInstanceOf(MoveConflictError);
    const ids = acks.slice(0, 50).map((a) => (a as PromiseFulfilledResult<number>).value);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids); // committed in arrival order
    for (const i of [0, 1, 49]) {
      expect(await store.getRounds(`w${i}`)).toMatchObject([{ id: ids[i], round: 1, createdAt: 10 + i }]);
      expect(await store.getPredictions(`w${i}`, 'v2')).toEqual([
        { round: 1, probabilities: predictions(i)[1]!.probabilities },
      ]);
    }
    expect((await store.getGame('w7'))!.roundsPlayed).toBe(1);
    await writer.close();
  });

  it('answers DatabaseUnavailableError while the server is away and recovers without a restart', async () => {
    const store = await PgStore.open({ url: await freshPgUrl() });
    open.push(store);
    await store.createGame(game('r'));
    await server.stop();
    try {
      await expect(store.getGame('r')).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await server.restart();
    }
    await expect
      .poll(async () => (await store.getGame('r').catch(() => null))?.id, { timeout: 20_000 })
      .toBe('r');
  });

  it('opens while the server is away, answers DatabaseUnavailableError, then migrates once it is back', async () => {
    const url = await freshPgUrl();
    await server.stop();
    let store!: PgStore;
    let recorder!: ServedVersionsRecorder;
    try {
      store = await PgStore.open({ url });
      open.push(store);
      expect(store.isMigrated).toBe(false);
      await expect(store.ping()).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(store.createGame(game('late'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
      // what is served while the database is away is recorded once it is back
      recorder = new ServedVersionsRecorder(store, pino({ level: 'silent' }), 100);
      recorder.record('brian', { Production: 'v3' }, 5000);
    } finally {
      await server.restart();
    }
    await expect
      .poll(
        () =>
          store.ping().then(
            () => true,
            () => false,
          ),
        { timeout: 20_000 },
      )
      .toBe(true);
    expect(store.isMigrated).toBe(true);
    await store.createGame(game('late'));
    expect((await store.getGame('late'))!.id).toBe('late');
    await expect
      .poll(async () => (await store.aliasChanges('brian', 10)).length, { timeout: 20_000 })
      .toBe(1);
    expect((await store.aliasChanges('brian', 10))[0]).toMatchObject({
      alias: 'Production',
      version: 'v3',
      previous: null,
      at: 5000,
    });
    recorder.close();
  });
});
