import pg from 'pg';
import type { Alias, ExportedRound, InputMethod, Probabilities, VersionStats } from '../../core/index.ts';
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
import { ROUNDS_LOCK, SQL, insertMove } from './pg-sql.ts';
import { DatabaseUnavailableError, type Store } from './store.ts';

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

  async recentInputs(
    bot: string,
    window: number,
    excludeSynthetic: boolean,
  ): Promise<Record<InputMethod, number>> {
    const counts: Record<InputMethod, number> = { click: 0, key: 0, camera: 0 };
    const rows = await this.rows<{ input: InputMethod; moves: number }>(SQL.recentInputs, [
      bot,
      window,
      excludeSynthetic ? 1 : 0,
    ]);
    for (const r of rows) counts[r.input] = r.moves;
    return counts;
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
