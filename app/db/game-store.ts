import type { Alias, ExportedRound, InputMethod, Probabilities, VersionStats } from '../../core/index.ts';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';
import {
  notWaiting,
  storedAlready,
  type AliasChange,
  type BotRecord,
  type DriftSample,
  type GameBucket,
  type GameRecord,
  type MoveRecord,
  type StoredRound,
} from './records.ts';
import { replyOf } from './rows.ts';

/** The rows a statement answers, typed as the reply that reads them expects (as PgStore's `rows`). */
function all<T>(statement: Statement, ...params: unknown[]): T[] {
  return statement.all(...params) as T[];
}

/** All SQL of the game server, as prepared statements. Every move is one transaction. */
export class GameStore {
  private readonly s;
  private readonly recordMoveTx: (m: MoveRecord) => number;

  constructor(readonly db: Db) {
    this.s = {
      insertGame: db.prepare(
        `INSERT INTO games (id, bot, gambit, alias, version, player, synthetic, created_at)
         VALUES (@id, @bot, @gambit, @alias, @version, @player, @synthetic, @createdAt)`,
      ),
      game: db.prepare('SELECT * FROM games WHERE id = ?'),
      rounds: db.prepare('SELECT * FROM rounds WHERE game_id = ? ORDER BY round'),
      versionRoundPredictions: db.prepare(
        `SELECT r.round AS round, p.p_rock AS rock, p.p_paper AS paper, p.p_scissors AS scissors
         FROM predictions p JOIN rounds r ON r.id = p.round_id
         WHERE r.game_id = ? AND p.version = ? ORDER BY r.round`,
      ),
      advanceGame: db.prepare(
        `UPDATE games SET player_score = @playerScore, bot_score = @botScore, rounds_played = @round,
           finished = @finished, winner = @winner, finished_at = @finishedAt
         WHERE id = @id AND rounds_played = @round - 1 AND finished = 0`,
      ),
      insertRound: db.prepare(
        `INSERT INTO rounds (game_id, round, player_move, bot_move, value_rock, value_paper, value_scissors,
           result, player_score, bot_score, fallback, input, created_at)
         VALUES (@gameId, @round, @playerMove, @botMove, @rock, @paper, @scissors,
           @result, @playerScore, @botScore, @fallback, @input, @at)`,
      ),
      insertPrediction: db.prepare(
        `INSERT INTO predictions (round_id, bot, version, aliases, p_rock, p_paper, p_scissors, predicted,
           correct, synthetic, created_at)
         VALUES (@roundId, @bot, @version, @aliases, @rock, @paper, @scissors, @predicted, @correct, @synthetic, @at)`,
      ),
      botRecords: db.prepare(
        `SELECT bot, COUNT(*) AS games, SUM(winner = 'bot') AS botWins, SUM(winner = 'player') AS playerWins,
           SUM(winner = 'tie') AS ties
         FROM games WHERE finished = 1 AND synthetic = 0 GROUP BY bot`,
      ),
      versionGames: db.prepare(
        `SELECT version, COUNT(*) AS games, SUM(winner = 'bot') AS botWins, SUM(winner = 'player') AS botLosses,
           SUM(winner = 'tie') AS ties
         FROM games
         WHERE finished = 1 AND bot = @model AND version IS NOT NULL AND finished_at >= @since
           AND (@excludeSynthetic = 0 OR synthetic = 0)
         GROUP BY version`,
      ),
      finishedGames: db.prepare(
        `SELECT COUNT(*) AS games FROM games
         WHERE finished = 1 AND bot = @model AND finished_at >= @since
           AND (@excludeSynthetic = 0 OR synthetic = 0)`,
      ),
      versionPredictions: db.prepare(
        `SELECT version, COUNT(*) AS predictions, SUM(correct) AS correct
         FROM predictions
         WHERE bot = @model AND created_at >= @since AND (@excludeSynthetic = 0 OR synthetic = 0)
         GROUP BY version`,
      ),
      recentInputs: db.prepare(
        `SELECT r.input AS input, COUNT(*) AS moves
         FROM rounds r JOIN games g ON g.id = r.game_id
         WHERE r.id > (SELECT COALESCE(MAX(id), 0) FROM rounds) - @window AND g.bot = @bot
           AND (@excludeSynthetic = 0 OR g.synthetic = 0)
         GROUP BY r.input`,
      ),
      exportPage: db.prepare(
        `SELECT r.*, g.bot, g.synthetic, g.player, g.alias, g.version
         FROM rounds r JOIN games g ON g.id = r.game_id
         WHERE r.id > @after AND r.id <= @until ORDER BY r.id LIMIT @limit`,
      ),
      recentGameIds: db.prepare(
        `SELECT id FROM games
         WHERE bot = @bot AND rounds_played >= @minRounds AND (@excludeSynthetic = 0 OR synthetic = 0)
         ORDER BY created_at DESC, rowid DESC LIMIT @limit`,
      ),
      lastAliasVersion: db.prepare(
        `SELECT version FROM alias_changes WHERE bot = @bot AND alias = @alias ORDER BY id DESC LIMIT 1`,
      ),
      insertAliasChange: db.prepare(
        `INSERT INTO alias_changes (bot, alias, version, previous, created_at)
         VALUES (@bot, @alias, @version, @previous, @at)`,
      ),
      aliasChanges: db.prepare(
        `SELECT id, bot, alias, version, previous, created_at AS at FROM alias_changes
         WHERE bot = @bot ORDER BY id DESC LIMIT @limit`,
      ),
      pairSince: db.prepare(
        `SELECT MAX(created_at) AS since FROM alias_changes WHERE bot = @bot AND alias IN ('Production', 'B')`,
      ),
      recentPredictions: db.prepare(
        `SELECT created_at AS at, correct FROM predictions
         WHERE bot = @bot AND version = @version AND (@excludeSynthetic = 0 OR synthetic = 0)
         ORDER BY created_at DESC LIMIT @limit`,
      ),
      firstFinished: db.prepare(
        `SELECT MIN(finished_at) AS first FROM games
         WHERE finished = 1 AND bot = @bot AND version IN (@a, @b) AND finished_at >= @since
           AND (@excludeSynthetic = 0 OR synthetic = 0)`,
      ),
      gameBuckets: db.prepare(
        `SELECT version, (finished_at - @start) / @bucketMs AS bucket, COUNT(*) AS games,
           SUM(winner = 'bot') AS botWins
         FROM games
         WHERE finished = 1 AND bot = @bot AND version IN (@a, @b) AND finished_at >= @start
           AND (@excludeSynthetic = 0 OR synthetic = 0)
         GROUP BY version, bucket ORDER BY bucket`,
      ),
      insertDriftSample: db.prepare(
        `INSERT INTO drift_samples (bot, version, score, drifted, created_at)
         SELECT @bot, @version, @score, @drifted, @t
         WHERE NOT EXISTS (SELECT 1 FROM (SELECT created_at FROM drift_samples WHERE bot = @bot ORDER BY id DESC LIMIT 1)
           WHERE created_at > @t - @minGapMs)`,
      ),
      driftSamples: db.prepare(
        `SELECT created_at AS t, version, score, drifted FROM drift_samples
         WHERE bot = @bot ORDER BY id DESC LIMIT @limit`,
      ),
      exportEnd: db.prepare(
        'SELECT MAX(id) AS until FROM (SELECT id FROM rounds WHERE id > @after ORDER BY id LIMIT @limit)',
      ),
    };

    const s = this.s;
    this.recordMoveTx = db.transaction((m: MoveRecord): number => {
      const { game, round } = m;
      const advanced = s.advanceGame.run({
        id: game.id,
        round: round.round,
        playerScore: round.playerScore,
        botScore: round.botScore,
        finished: m.finished ? 1 : 0,
        winner: m.winner,
        finishedAt: m.finished ? m.at : null,
      });
      if (advanced.changes !== 1) throw notWaiting(m);
      const roundId = Number(
        s.insertRound.run({
          gameId: game.id,
          round: round.round,
          playerMove: round.playerMove,
          botMove: round.botMove,
          rock: round.values.rock,
          paper: round.values.paper,
          scissors: round.values.scissors,
          result: round.result,
          playerScore: round.playerScore,
          botScore: round.botScore,
          fallback: m.fallback ? 1 : 0,
          input: m.input,
          at: m.at,
        }).lastInsertRowid,
      );
      for (const p of m.predictions) {
        s.insertPrediction.run({
          roundId,
          bot: game.bot,
          version: p.version,
          aliases: p.aliases.join(','),
          rock: p.probabilities[0],
          paper: p.probabilities[1],
          scissors: p.probabilities[2],
          predicted: p.predicted,
          correct: p.correct ? 1 : 0,
          synthetic: game.synthetic ? 1 : 0,
          at: m.at,
        });
      }
      return roundId;
    });
  }

  createGame(g: GameRecord): void {
    this.s.insertGame.run({
      id: g.id,
      bot: g.bot,
      gambit: g.gambit,
      alias: g.alias,
      version: g.version,
      player: g.player,
      synthetic: g.synthetic ? 1 : 0,
      createdAt: g.createdAt,
    });
  }

  getGame(id: string): GameRecord | null {
    return replyOf.game(all(this.s.game, id));
  }

  getRounds(gameId: string): StoredRound[] {
    return replyOf.rounds(all(this.s.rounds, gameId));
  }

  /** What `version` predicted for each stored round of the game (rounds it did not predict are absent). */
  getPredictions(gameId: string, version: string): { round: number; probabilities: Probabilities }[] {
    return replyOf.predictions(all(this.s.versionRoundPredictions, gameId, version));
  }

  /** Stores the round, its predictions and the game's new score in one transaction; returns the round id. */
  recordMove(m: MoveRecord): number {
    try {
      return this.recordMoveTx(m);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw storedAlready(m);
      }
      throw err;
    }
  }

  /** Finished human games per bot (synthetic players excluded: these are the public win rates). */
  botRecords(): Map<string, BotRecord> {
    return replyOf.botRecords(all(this.s.botRecords));
  }

  /** Finished games of a bot since a time, whichever version played them (none, before the first is served). */
  finishedGames(model: string, sinceMs: number, excludeSynthetic: boolean): number {
    const row = this.s.finishedGames.get({
      model,
      since: sinceMs,
      excludeSynthetic: excludeSynthetic ? 1 : 0,
    }) as { games: number };
    return row.games;
  }

  /** Per version: finished games and outcomes since `sinceMs`, predictions and correct ones since `sinceMs`. */
  versionStats(model: string, sinceMs: number, excludeSynthetic: boolean): VersionStats[] {
    const params = { model, since: sinceMs, excludeSynthetic: excludeSynthetic ? 1 : 0 };
    return replyOf.versionStats(
      model,
      all(this.s.versionGames, params),
      all(this.s.versionPredictions, params),
    );
  }

  /** A bot's latest games (newest first) that have reached `minRounds` rounds, at most `limit`. */
  recentGameIds(bot: string, minRounds: number, limit: number, excludeSynthetic: boolean): string[] {
    const rows = this.s.recentGameIds.all({
      bot,
      minRounds,
      limit,
      excludeSynthetic: excludeSynthetic ? 1 : 0,
    }) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /**
   * Records which version each alias of a bot serves, as changes against the last recorded state
   * (so a restart that serves the same versions records nothing); returns the new changes.
   */
  recordServedVersions(bot: string, versions: Partial<Record<Alias, string>>, at: number): AliasChange[] {
    return this.db
      .transaction(() => {
        const changes: AliasChange[] = [];
        for (const alias of ['Production', 'B', 'Shadow1', 'Shadow2'] as const) {
          const last = this.s.lastAliasVersion.get({ bot, alias }) as { version: string | null } | undefined;
          const previous = last?.version ?? null;
          const version = versions[alias] ?? null;
          if (version === previous) continue;
          const id = Number(
            this.s.insertAliasChange.run({ bot, alias, version, previous, at }).lastInsertRowid,
          );
          changes.push({ id, bot, alias, version, previous, at });
        }
        return changes;
      })
      .immediate();
  }

  /** A bot's alias changes, newest first. */
  aliasChanges(bot: string, limit: number): AliasChange[] {
    return this.s.aliasChanges.all({ bot, limit }) as AliasChange[];
  }

  /** When Production or B of a bot last changed (epoch ms), or null when never recorded. */
  pairSince(bot: string): number | null {
    return (this.s.pairSince.get({ bot }) as { since: number | null }).since;
  }

  /** The latest predictions of one version, newest first: when, and whether it named the player's move. */
  recentPredictions(
    bot: string,
    version: string,
    limit: number,
    excludeSynthetic: boolean,
  ): { at: number; correct: 0 | 1 }[] {
    return this.s.recentPredictions.all({
      bot,
      version,
      limit,
      excludeSynthetic: excludeSynthetic ? 1 : 0,
    }) as { at: number; correct: 0 | 1 }[];
  }

  /** When the first game of versions `a` or `b` finished at or after `since`, or null. */
  firstFinished(bot: string, a: string, b: string, since: number, excludeSynthetic: boolean): number | null {
    const row = this.s.firstFinished.get({ bot, a, b, since, excludeSynthetic: excludeSynthetic ? 1 : 0 });
    return (row as { first: number | null }).first;
  }

  /** Finished games and bot wins of versions `a` and `b` per `bucketMs` from `start`. */
  gameBuckets(
    bot: string,
    a: string,
    b: string,
    start: number,
    bucketMs: number,
    excludeSynthetic: boolean,
  ): GameBucket[] {
    return this.s.gameBuckets.all({
      bot,
      a,
      b,
      start,
      bucketMs,
      excludeSynthetic: excludeSynthetic ? 1 : 0,
    }) as GameBucket[];
  }

  /**
   * Stores the result of one background drift check of a bot, unless the bot's latest sample is
   * less than `minGapMs` older (another replica checked meanwhile); true when stored.
   */
  recordDriftSample(bot: string, s: DriftSample, minGapMs = 0): boolean {
    const inserted = this.s.insertDriftSample.run({
      bot,
      version: s.version,
      score: s.score,
      drifted: s.drifted ? 1 : 0,
      t: s.t,
      minGapMs,
    });
    return inserted.changes === 1;
  }

  /** A bot's latest `limit` drift samples, oldest first. */
  driftSamples(bot: string, limit: number): DriftSample[] {
    return replyOf.driftSamples(all(this.s.driftSamples, { bot, limit }));
  }

  /** How a bot's moves among the last `window` rounds stored (all bots) were entered. */
  recentInputs(bot: string, window: number, excludeSynthetic: boolean): Record<InputMethod, number> {
    return replyOf.inputCounts(
      all(this.s.recentInputs, { bot, window, excludeSynthetic: excludeSynthetic ? 1 : 0 }),
    );
  }

  /** The id of the last round an export page of `limit` rounds after `after` ends with, or null when none. */
  exportEnd(after: number, limit: number): number | null {
    const row = this.s.exportEnd.get({ after, limit }) as { until: number | null };
    return row.until;
  }

  /** Rounds with their game context, `after` < id ≤ `until`, in id order, at most `limit`. */
  exportPage(after: number, until: number, limit: number): ExportedRound[] {
    return replyOf.exportPage(all(this.s.exportPage, { after, until, limit }));
  }
}
