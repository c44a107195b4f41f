import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion, type Db } from '../../app/db/database.ts';
import { GameStore } from '../../app/db/game-store.ts';
import { MoveConflictError, type GameRecord } from '../../app/db/records.ts';
import { compareVersions } from '../../app/db/rows.ts';
import { MIGRATIONS } from '../../app/db/migrations.ts';
import { newGame, playRound } from '../../core/index.ts';
import { buildApp } from '../../app/build-app.ts';
import { InlineWriter, ThreadWriter } from '../../app/db/move-writer.ts';

let db: Db | undefined;
let dir: string | undefined;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});

const game = (id: string): GameRecord => ({
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
});

describe('database', () => {
  it('opens a file in WAL mode with foreign keys and the latest schema; migrating again does nothing', () => {
    dir = mkdtempSync(join(tmpdir(), 'app-db-'));
    db = openDatabase(join(dir, 'games.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(migrate(db)).toEqual([]);
  });

  it('reads the rounds stored before the input method was recorded as clicks, and allows only the three inputs', () => {
    db = openDatabase(':memory:', MIGRATIONS.slice(0, 2));
    db.prepare(`INSERT INTO games (id, bot, gambit, created_at) VALUES ('g1', 'brian', 'razor', 0)`).run();
    const round = (n: number, input?: string) =>
      db!
        .prepare(
          `INSERT INTO rounds (game_id, round, player_move, bot_move, value_rock, value_paper, value_scissors, result,
             player_score, bot_score, fallback, created_at${input ? ', input' : ''})
           VALUES ('g1', ?, 'rock', 'rock', 1, 1.2, 1.7, 'draw', 0.5, 0.5, 0, 0${input ? ', ?' : ''})`,
        )
        .run(...(input ? [n, input] : [n]));
    round(1);
    expect(migrate(db)).toEqual([3, 4]);
    round(2, 'camera');
    expect(() => round(3, 'voice')).toThrow(/CHECK constraint/);
    expect(new GameStore(db).exportPage(0, 10, 10).map((r) => [r.round, r.input])).toEqual([
      [1, 'click'],
      [2, 'camera'],
    ]);
  });

  it('enforces foreign keys and one row per (game, round)', () => {
    db = openDatabase(':memory:');
    const insertRound = db.prepare(
      `INSERT INTO rounds (game_id, round, player_move, bot_move, value_rock, value_paper, value_scissors, result,
         player_score, bot_score, fallback, created_at) VALUES (?, 1, 'rock', 'rock', 1, 1.2, 1.7, 'draw', 0.5, 0.5, 0, 0)`,
    );
    expect(() => insertRound.run('missing')).toThrow(/FOREIGN KEY/);
    const store = new GameStore(db);
    store.createGame(game('g1'));
    insertRound.run('g1');
    expect(() => insertRound.run('g1')).toThrow(/UNIQUE/);
  });

  it('gives back what a version predicted in each round of a game, for the sampled rule’s trust after a restart', () => {
    db = openDatabase(':memory:');
    const store = new GameStore(db);
    store.createGame(game('g2'));
    let state = newGame('g2', 'razor');
    for (let r = 1; r <= 5; r++) {
      state = playRound(state, r, 'rock', 'paper');
      const predictions =
        r < 4
          ? []
          : [
              {
                version: 'v1',
                aliases: ['Production' as const],
                probabilities: [0.5, 0.25, 0.25] as const,
                predicted: 'rock' as const,
                correct: true,
              },
              {
                version: 'v2',
                aliases: ['B' as const],
                probabilities: [0.1, 0.8, 0.1] as const,
                predicted: 'paper' as const,
                correct: false,
              },
            ];
      store.recordMove({
        game: game('g2'),
        round: state.rounds.at(-1)!,
        fallback: false,
        input: 'camera',
        predictions,
        finished: false,
        winner: null,
        at: 2000 + r,
      });
    }
    expect(store.getPredictions('g2', 'v1')).toEqual([
      { round: 4, probabilities: [0.5, 0.25, 0.25] },
      { round: 5, probabilities: [0.5, 0.25, 0.25] },
    ]);
    expect(store.getPredictions('g2', 'v2').map((p) => p.round)).toEqual([4, 5]);
    expect(store.getPredictions('g2', 'v9')).toEqual([]);
  });

  it('stores a move only when the game waits for that round, all or nothing', () => {
    db = openDatabase(':memory:');
    const store = new GameStore(db);
    store.createGame(game('g1'));
    const state = playRound(newGame('g1', 'razor'), 1, 'rock', 'scissors');
    const move = {
      game: game('g1'),
      round: state.rounds[0]!,
      fallback: false,
      input: 'click' as const,
      predictions: [],
      finished: false,
      winner: null,
      at: 2000,
    };
    store.recordMove(move);
    expect(() => store.recordMove(move)).toThrow(MoveConflictError);
    // a failing prediction insert rolls back the round and the game's score
    const bad = playRound(state, 2, 'paper', 'rock');
    const broken = {
      ...move,
      round: bad.rounds[1]!,
      predictions: [
        { version: 'v1', aliases: [], probabilities: [0.2, 0.3, 0.5], predicted: 'lizard', correct: false },
      ],
    };
    expect(() => store.recordMove(broken as never)).toThrow(/CHECK/);
    expect(store.getRounds('g1')).toHaveLength(1);
    expect(store.getGame('g1')).toMatchObject({ roundsPlayed: 1, playerScore: state.playerScore });
  });

  it('orders versions naturally', () => {
    expect(['v10', 'v2', 'v1'].sort(compareVersions)).toEqual(['v1', 'v2', 'v10']);
  });

  it('commits moves on a writer thread and checkpoints the WAL off the request thread', async () => {
    dir = mkdtempSync(join(tmpdir(), 'app-db-'));
    const file = join(dir, 'games.db');
    const app = await buildApp({ logger: false, processMetrics: false, config: { dbPath: file } });
    expect(app.rps.writer).toBeInstanceOf(ThreadWriter);
    expect(app.rps.db!.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(file).size;
    for (let g = 0; g < 20; g++) {
      const { gameId } = await app.rps.games.startGame({ bot: 'brian' });
      for (let round = 1; round <= 6; round++) await app.rps.games.playMove(gameId, round, () => 'rock');
    }
    await expect.poll(() => statSync(file).size, { timeout: 5000 }).toBeGreaterThan(before);
    await app.close();
    // a clean shutdown leaves no write-ahead log behind
    expect(existsSync(`${file}-wal`)).toBe(false);
    db = openDatabase(file);
    expect((db.prepare('SELECT COUNT(*) AS n FROM rounds').get() as { n: number }).n).toBe(120);
  });

  it('writes on the request thread for an in-memory database', async () => {
    const app = await buildApp({ logger: false, processMetrics: false });
    expect(app.rps.writer).toBeInstanceOf(InlineWriter);
    await app.close();
  });
});
