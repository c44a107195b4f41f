import pg from 'pg';
import type { Alias, ExportedRound, Probabilities, VersionStats } from '../../core/index.ts';
import {
  MoveConflictError,
  mergeVersionStats,
  toExported,
  toGame,
  toRound,
  type AliasChange,
  type BotRecord,
  type DriftSample,
  type ExportRow,
  type GameBucket,
  type GameRecord,
  type GameRow,
  type MoveRecord,
  type RoundRow,
  type StoredRound,
  type VersionGamesRow,
  type VersionPredictionsRow,
} from './game-store.ts';
import { migratePg } from './pg-migrations.ts';
import { DatabaseUnavailableError, type Store } from './store.ts';

/**
 * Every transaction that inserts rounds holds this transaction-level advisory lock, so round ids
 * (the export cursor) are allocated and committed in the same order by every replica: an export
 * page that ends at id n can never miss a smaller id committed later.
 */
export const ROUNDS_LOCK = 0x72707371_02;

const INT8 = 20;
/** bigint columns (ids, epoch ms, counts) as numbers: all stay far below 2^53 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

// connection refused/reset, the server shutting down or starting up, connection exceptions (08xxx)
const UNAVAILABLE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|57P0[1-3]|08...)$/;

/** Connection failures become DatabaseUnavailableError (503), everything else is thrown as is. */
export function classifyPgError(err: unknown): unknown {
  const e = err as { code?: string; message?: string };
  if (
    (e.code && UNAVAILABLE.test(e.code)) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      e.message ?? '',
    )
  ) {
    return new DatabaseUnavailableError(`PostgreSQL unavailable: ${e.message ?? e.code}`, { cause: err });
  }
  return err;
}

const SYNTH = '($3::int = 0 OR synthetic = 0)';

const SQL = {
  insertGame: `INSERT INTO games (id, bot, gambit, alias, version, player, synthetic, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  game: 'SELECT * FROM games WHERE id = $1',
  rounds: 'SELECT * FROM rounds WHERE game_id = $1 ORDER BY round',
  versionRoundPredictions: `SELECT r.round AS round, p.p_rock AS rock, p.p_paper AS paper, p.p_scissors AS scissors
    FROM predictions p JOIN rounds r ON r.id = p.round_id
    WHERE r.game_id = $1 AND p.version = $2 ORDER BY r.round`,
  // one statement per move: the guarded score update, the round, its predictions (none when the
  // game is no longer waiting for this round: the caller then sees no id)
  move: `WITH adv AS (
      UPDATE games SET player_score = $3, bot_score = $4, rounds_played = $2::int, finished = $5,
        winner = $6, finished_at = $7
      WHERE id = $1 AND rounds_played = $2::int - 1 AND finished = 0 RETURNING id),
    r AS (
      INSERT INTO rounds (game_id, round, player_move, bot_move, value_rock, value_paper, value_scissors,
        result, player_score, bot_score, fallback, created_at)
      SELECT id, $2::int, $8, $9, $10, $11, $12, $13, $3, $4, $14, $15 FROM adv RETURNING id),
    p AS (
      INSERT INTO predictions (round_id, bot, version, aliases, p_rock, p_paper, p_scissors, predicted, correct,
        synthetic, created_at)
      SELECT r.id, $16, x.version, x.aliases, x.rock, x.paper, x.scissors, x.predicted, x.correct, $17, $15
      FROM r, unnest($18::text[], $19::text[], $20::float8[], $21::float8[], $22::float8[], $23::text[],
        $24::smallint[]) AS x(version, aliases, rock, paper, scissors, predicted, correct))
    SELECT id FROM r`,
  botRecords: `SELECT bot, COUNT(*) AS games, COUNT(*) FILTER (WHERE winner = 'bot') AS "botWins",
      COUNT(*) FILTER (WHERE winner = 'player') AS "playerWins", COUNT(*) FILTER (WHERE winner = 'tie') AS ties
    FROM games WHERE finished = 1 AND synthetic = 0 GROUP BY bot`,
  versionGames: `SELECT version, COUNT(*) AS games, COUNT(*) FILTER (WHERE winner = 'bot') AS "botWins",
      COUNT(*) FILTER (WHERE winner = 'player') AS "botLosses", COUNT(*) FILTER (WHERE winner = 'tie') AS ties
    FROM games
    WHERE finished = 1 AND bot = $1 AND version IS NOT NULL AND finished_at >= $2 AND ${SYNTH}
    GROUP BY version`,
  finishedGames: `SELECT COUNT(*) AS games FROM games
    WHERE finished = 1 AND bot = $1 AND finished_at >= $2 AND ${SYNTH}`,
  versionPredictions: `SELECT version, COUNT(*) AS predictions, SUM(correct)::bigint AS correct
    FROM predictions WHERE bot = $1 AND created_at >= $2 AND ${SYNTH} GROUP BY version`,
  recentGameIds: `SELECT id FROM games
    WHERE bot = $1 AND rounds_played >= $2 AND ${SYNTH}
    ORDER BY created_at DESC, seq DESC LIMIT $4`,
  lastAliasVersion:
    'SELECT version FROM alias_changes WHERE bot = $1 AND alias = $2 ORDER BY id DESC LIMIT 1',
  insertAliasChange: `INSERT INTO alias_changes (bot, alias, version, previous, created_at)
    VALUES ($1, $2, $3, $4, $5) RETURNING id`,
  aliasChanges: `SELECT id, bot, alias, version, previous, created_at AS at FROM alias_changes
    WHERE bot = $1 ORDER BY id DESC LIMIT $2`,
  pairSince: `SELECT MAX(created_at) AS since FROM alias_changes WHERE bot = $1 AND alias IN ('Production', 'B')`,
  recentPredictions: `SELECT created_at AS at, correct FROM predictions
    WHERE bot = $1 AND version = $2 AND ($4::int = 0 OR synthetic = 0)
    ORDER BY created_at DESC LIMIT $3`,
  firstFinished: `SELECT MIN(finished_at) AS first FROM games
    WHERE finished = 1 AND bot = $1 AND version IN ($2, $3) AND finished_at >= $4 AND ($5::int = 0 OR synthetic = 0)`,
  gameBuckets: `SELECT version, (finished_at - $4) / $5 AS bucket, COUNT(*) AS games,
      COUNT(*) FILTER (WHERE winner = 'bot') AS "botWins"
    FROM games
    WHERE finished = 1 AND bot = $1 AND version IN ($2, $3) AND finished_at >= $4 AND ($6::int = 0 OR synthetic = 0)
    GROUP BY version, bucket ORDER BY bucket`,
  insertDriftSample: `INSERT INTO drift_samples (bot, version, score, drifted, created_at)
    VALUES ($1, $2, $3, $4, $5)`,
  driftSamples: `SELECT created_at AS t, version, score, drifted FROM drift_samples
    WHERE bot = $1 ORDER BY id DESC LIMIT $2`,
  exportEnd: 'SELECT MAX(id) AS until FROM (SELECT id FROM rounds WHERE id > $1 ORDER BY id LIMIT $2) page',
  exportPage: `SELECT r.*, g.bot, g.synthetic, g.player, g.alias, g.version
    FROM rounds r JOIN games g ON g.id = r.game_id
    WHERE r.id > $1 AND r.id <= $2 ORDER BY r.id LIMIT $3`,
};

/** The parameters of SQL.move for one move. */
export function moveParams(m: MoveRecord): unknown[] {
  const { game, round, predictions } = m;
  return [
    game.id,
    round.round,
    round.playerScore,
    round.botScore,
    m.finished ? 1 : 0,
    m.winner,
    m.finished ? m.at : null,
    round.playerMove,
    round.botMove,
    round.values.rock,
    round.values.paper,
    round.values.scissors,
    round.result,
    m.fallback ? 1 : 0,
    m.at,
    game.bot,
    game.synthetic ? 1 : 0,
    predictions.map((p) => p.version),
    predictions.map((p) => p.aliases.join(',')),
    predictions.map((p) => p.probabilities[0]),
    predictions.map((p) => p.probabilities[1]),
    predictions.map((p) => p.probabilities[2]),
    predictions.map((p) => p.predicted),
    predictions.map((p) => (p.correct ? 1 : 0)),
  ];
}

// A batch of moves in one statement: the moves as arrays (one element per move, `ord` its place),
// the guarded score updates, the rounds of the games that advanced (in batch order), their
// predictions; answers the round id of each move stored (a move absent from the answer conflicted).
const BATCH_SQL = `WITH m AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::float8[], $4::float8[], $5::smallint[], $6::text[],
      $7::bigint[], $8::text[], $9::text[], $10::float8[], $11::float8[], $12::float8[], $13::text[],
      $14::smallint[], $15::bigint[], $16::text[], $17::smallint[])
    WITH ORDINALITY AS m(game_id, round, player_score, bot_score, finished, winner, finished_at, player_move,
      bot_move, v_rock, v_paper, v_scissors, result, fallback, at, bot, synthetic, ord)),
  adv AS (
    UPDATE games g SET player_score = m.player_score, bot_score = m.bot_score, rounds_played = m.round,
      finished = m.finished, winner = m.winner, finished_at = m.finished_at
    FROM m WHERE g.id = m.game_id AND g.rounds_played = m.round - 1 AND g.finished = 0
    RETURNING m.ord),
  r AS (
    INSERT INTO rounds (game_id, round, player_move, bot_move, value_rock, value_paper, value_scissors,
      result, player_score, bot_score, fallback, created_at)
    SELECT m.game_id, m.round, m.player_move, m.bot_move, m.v_rock, m.v_paper, m.v_scissors, m.result,
      m.player_score, m.bot_score, m.fallback, m.at
    FROM m JOIN adv USING (ord) ORDER BY m.ord
    RETURNING id, game_id, round),
  p AS (
    INSERT INTO predictions (round_id, bot, version, aliases, p_rock, p_paper, p_scissors, predicted, correct,
      synthetic, created_at)
    SELECT r.id, m.bot, x.version, x.aliases, x.rock, x.paper, x.scissors, x.predicted, x.correct, m.synthetic, m.at
    FROM unnest($18::bigint[], $19::text[], $20::text[], $21::float8[], $22::float8[], $23::float8[], $24::text[],
      $25::smallint[]) AS x(ord, version, aliases, rock, paper, scissors, predicted, correct)
    JOIN adv USING (ord) JOIN m USING (ord) JOIN r ON r.game_id = m.game_id AND r.round = m.round)
  SELECT adv.ord, r.id FROM adv JOIN m USING (ord) JOIN r ON r.game_id = m.game_id AND r.round = m.round`;

/**
 * Stores a batch of moves in one statement on a client inside an open transaction that holds
 * ROUNDS_LOCK: each move's round id, or null for a move whose game was not waiting for its round.
 */
export async function insertMoves(
  client: pg.ClientBase,
  moves: readonly MoveRecord[],
): Promise<(number | null)[]> {
  const col = <T>(f: (m: MoveRecord) => T) => moves.map(f);
  const preds = moves.flatMap((m, i) => m.predictions.map((p) => ({ ord: i + 1, p })));
  const { rows } = await client.query<{ ord: number; id: number }>(BATCH_SQL, [
    col((m) => m.game.id),
    col((m) => m.round.round),
    col((m) => m.round.playerScore),
    col((m) => m.round.botScore),
    col((m) => (m.finished ? 1 : 0)),
    col((m) => m.winner),
    col((m) => (m.finished ? m.at : null)),
    col((m) => m.round.playerMove),
    col((m) => m.round.botMove),
    col((m) => m.round.values.rock),
    col((m) => m.round.values.paper),
    col((m) => m.round.values.scissors),
    col((m) => m.round.result),
    col((m) => (m.fallback ? 1 : 0)),
    col((m) => m.at),
    col((m) => m.game.bot),
    col((m) => (m.game.synthetic ? 1 : 0)),
    preds.map((x) => x.ord),
    preds.map((x) => x.p.version),
    preds.map((x) => x.p.aliases.join(',')),
    preds.map((x) => x.p.probabilities[0]),
    preds.map((x) => x.p.probabilities[1]),
    preds.map((x) => x.p.probabilities[2]),
    preds.map((x) => x.p.predicted),
    preds.map((x) => (x.p.correct ? 1 : 0)),
  ]);
  const ids = new Map(rows.map((r) => [r.ord, r.id]));
  return moves.map((_, i) => ids.get(i + 1) ?? null);
}

/** Stores one move on a client inside an open transaction that holds ROUNDS_LOCK; returns the round id. */
export async function insertMove(client: pg.ClientBase, m: MoveRecord): Promise<number> {
  const { rows } = await client.query<{ id: number }>(SQL.move, moveParams(m));
  if (rows.length !== 1) {
    throw new MoveConflictError(`game ${m.game.id} is no longer waiting for round ${m.round.round}`);
  }
  return rows[0]!.id;
}

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** connections of this replica's pool (reads, game starts, the move writer's batches), default 10 */
  poolSize?: number;
}

/** The game server's data in PostgreSQL, shared by every replica; migrations run in `open`. */
export class PgStore implements Store {
  readonly kind = 'postgres';

  private constructor(readonly pool: pg.Pool) {}

  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      types,
    });
    // a dropped idle connection (the server restarted) is replaced on the next checkout
    pool.on('error', () => undefined);
    const client = await pool.connect().catch(async (err: unknown) => {
      await pool.end();
      throw classifyPgError(err);
    });
    try {
      await migratePg(client);
    } finally {
      client.release();
    }
    return new PgStore(pool);
  }

  private async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(sql, params)).rows as T[];
    } catch (err) {
      throw classifyPgError(err);
    }
  }

  /** Runs `body` in one transaction on one pooled connection (rolled back when it throws). */
  async transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw classifyPgError(err);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw classifyPgError(err);
    } finally {
      client.release(broken);
    }
  }

  async createGame(g: GameRecord): Promise<void> {
    await this.rows(SQL.insertGame, [
      g.id,
      g.bot,
      g.gambit,
      g.alias,
      g.version,
      g.player,
      g.synthetic ? 1 : 0,
      g.createdAt,
    ]);
  }

  async getGame(id: string): Promise<GameRecord | null> {
    const [row] = await this.rows<GameRow>(SQL.game, [id]);
    return row ? toGame(row) : null;
  }

  async getRounds(gameId: string): Promise<StoredRound[]> {
    return (await this.rows<RoundRow>(SQL.rounds, [gameId])).map(toRound);
  }

  async getPredictions(
    gameId: string,
    version: string,
  ): Promise<{ round: number; probabilities: Probabilities }[]> {
    const rows = await this.rows<{ round: number; rock: number; paper: number; scissors: number }>(
      SQL.versionRoundPredictions,
      [gameId, version],
    );
    return rows.map((r) => ({ round: r.round, probabilities: [r.rock, r.paper, r.scissors] }));
  }

  async recordMove(m: MoveRecord): Promise<number> {
    try {
      return await this.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [ROUNDS_LOCK]);
        return insertMove(client, m);
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new MoveConflictError(`round ${m.round.round} of game ${m.game.id} is stored already`);
      }
      throw err;
    }
  }

  async botRecords(): Promise<Map<string, BotRecord>> {
    const rows = await this.rows<{ bot: string } & BotRecord>(SQL.botRecords);
    return new Map(rows.map(({ bot, ...r }) => [bot, r]));
  }

  async finishedGames(model: string, sinceMs: number, excludeSynthetic: boolean): Promise<number> {
    const [row] = await this.rows<{ games: number }>(SQL.finishedGames, [
      model,
      sinceMs,
      excludeSynthetic ? 1 : 0,
    ]);
    return row!.games;
  }

  async versionStats(model: string, sinceMs: number, excludeSynthetic: boolean): Promise<VersionStats[]> {
    const params = [model, sinceMs, excludeSynthetic ? 1 : 0];
    const [games, predictions] = await Promise.all([
      this.rows<VersionGamesRow>(SQL.versionGames, params),
      this.rows<VersionPredictionsRow>(SQL.versionPredictions, params),
    ]);
    return mergeVersionStats(model, games, predictions);
  }

  async recentGameIds(
    bot: string,
    minRounds: number,
    limit: number,
    excludeSynthetic: boolean,
  ): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(SQL.recentGameIds, [
      bot,
      minRounds,
      excludeSynthetic ? 1 : 0,
      limit,
    ]);
    return rows.map((r) => r.id);
  }

  async recordServedVersions(
    bot: string,
    versions: Partial<Record<Alias, string>>,
    at: number,
  ): Promise<AliasChange[]> {
    // replicas that see the same manifest change at once record it once: one bot's changes are serialised
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`alias_changes/${bot}`]);
      const changes: AliasChange[] = [];
      for (const alias of ['Production', 'B', 'Shadow1', 'Shadow2'] as const) {
        const last = await client.query<{ version: string | null }>(SQL.lastAliasVersion, [bot, alias]);
        const previous = last.rows[0]?.version ?? null;
        const version = versions[alias] ?? null;
        if (version === previous) continue;
        const inserted = await client.query<{ id: number }>(SQL.insertAliasChange, [
          bot,
          alias,
          version,
          previous,
          at,
        ]);
        changes.push({ id: inserted.rows[0]!.id, bot, alias, version, previous, at });
      }
      return changes;
    });
  }

  async aliasChanges(bot: string, limit: number): Promise<AliasChange[]> {
    return this.rows<AliasChange>(SQL.aliasChanges, [bot, limit]);
  }

  async pairSince(bot: string): Promise<number | null> {
    const [row] = await this.rows<{ since: number | null }>(SQL.pairSince, [bot]);
    return row!.since;
  }

  async recentPredictions(
    bot: string,
    version: string,
    limit: number,
    excludeSynthetic: boolean,
  ): Promise<{ at: number; correct: 0 | 1 }[]> {
    return this.rows(SQL.recentPredictions, [bot, version, limit, excludeSynthetic ? 1 : 0]);
  }

  async firstFinished(
    bot: string,
    a: string,
    b: string,
    since: number,
    excludeSynthetic: boolean,
  ): Promise<number | null> {
    const [row] = await this.rows<{ first: number | null }>(SQL.firstFinished, [
      bot,
      a,
      b,
      since,
      excludeSynthetic ? 1 : 0,
    ]);
    return row!.first;
  }

  async gameBuckets(
    bot: string,
    a: string,
    b: string,
    start: number,
    bucketMs: number,
    excludeSynthetic: boolean,
  ): Promise<GameBucket[]> {
    return this.rows<GameBucket>(SQL.gameBuckets, [bot, a, b, start, bucketMs, excludeSynthetic ? 1 : 0]);
  }

  async recordDriftSample(bot: string, s: DriftSample): Promise<void> {
    await this.rows(SQL.insertDriftSample, [bot, s.version, s.score, s.drifted ? 1 : 0, s.t]);
  }

  async driftSamples(bot: string, limit: number): Promise<DriftSample[]> {
    const rows = await this.rows<Omit<DriftSample, 'drifted'> & { drifted: number }>(SQL.driftSamples, [
      bot,
      limit,
    ]);
    return rows.reverse().map((r) => ({ ...r, drifted: r.drifted === 1 }));
  }

  async exportEnd(after: number, limit: number): Promise<number | null> {
    const [row] = await this.rows<{ until: number | null }>(SQL.exportEnd, [after, limit]);
    return row!.until;
  }

  async exportPage(after: number, until: number, limit: number): Promise<ExportedRound[]> {
    return (await this.rows<ExportRow>(SQL.exportPage, [after, until, limit])).map(toExported);
  }

  async ping(): Promise<void> {
    await this.rows('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
