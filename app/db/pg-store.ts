import pg from 'pg';
import type { Alias, ExportedRound, InputMethod, Probabilities, VersionStats } from '../../core/index.ts';
import {
  storedAlready,
  type AliasChange,
  type BotRecord,
  type DriftSample,
  type GameBucket,
  type GameRecord,
  type MoveRecord,
  type StoredRound,
} from './records.ts';
import { replyOf, type VersionGamesRow, type VersionPredictionsRow } from './rows.ts';
import { migratePg } from './pg-migrations.ts';
import { SQL, insertMove, lockRoundsForExport, lockRoundsForInsert } from './pg-sql.ts';
import { DatabaseUnavailableError, ExportBusyError, type Store } from './store.ts';

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
  const e = (err ?? {}) as { code?: string; message?: string };
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
  /**
   * PostgreSQL ends a session of this pool that stays this long in an open transaction without a
   * statement (idle_in_transaction_session_timeout): a writer that hangs mid-transaction (a stopped
   * or cut-off replica) releases its locks then. Default 10 s; a batch of moves takes milliseconds.
   */
  idleInTransactionTimeoutMs?: number;
  /** how long an export waits for the inserts in flight before failing with ExportBusyError, default 5 s */
  exportLockTimeoutMs?: number;
}

const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;
const ignoreError = () => undefined;
const EXPORT_LOCK_TIMEOUT_MS = 5_000;

/**
 * The game server's data in PostgreSQL, shared by every replica. Migrations run in `open`; when the
 * server cannot be reached then, `open` still resolves and every call (the readiness ping too) tries
 * them again first, answering DatabaseUnavailableError until they have run.
 */
export class PgStore implements Store {
  readonly kind = 'postgres';
  private migrated = false;
  private migrating: Promise<void> | null = null;

  private constructor(
    readonly pool: pg.Pool,
    private readonly exportLockTimeoutMs: number,
    private readonly idleInTransactionTimeoutMs: number,
  ) {}

  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const idle = opts.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      options: `-c idle_in_transaction_session_timeout=${idle}`,
      types,
    });
    // a dropped idle connection (the server restarted, or ended a session idle in a transaction)
    // is replaced on the next checkout
    pool.on('error', () => undefined);
    const store = new PgStore(pool, opts.exportLockTimeoutMs ?? EXPORT_LOCK_TIMEOUT_MS, idle);
    try {
      await store.migrate();
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError)) {
        await pool.end();
        throw err;
      }
    }
    return store;
  }

  /** true once the migrations have run (false while PostgreSQL was away since the start) */
  get isMigrated(): boolean {
    return this.migrated;
  }

  /** Applies pending migrations once (concurrent callers share the attempt). */
  private migrate(): Promise<void> {
    this.migrating ??= (async () => {
      const client = await this.connect();
      let broken = false;
      try {
        await migratePg(client);
        this.migrated = true;
      } catch (err) {
        broken = true;
        // a migration that failed because the connection was lost is wrapped with its cause
        const cause = classifyPgError((err as Error).cause);
        throw cause instanceof DatabaseUnavailableError ? cause : classifyPgError(err);
      } finally {
        PgStore.release(client, broken);
      }
    })().finally(() => (this.migrating = null));
    return this.migrating;
  }

  /**
   * A pooled connection; DatabaseUnavailableError when none can be made. While it is checked out, a
   * session the server ends between two statements (a restart, idle_in_transaction_session_timeout)
   * fails the next statement instead of raising an unhandled 'error' event; give it back with
   * `release`.
   */
  private async connect(): Promise<pg.PoolClient> {
    try {
      const client = await this.pool.connect();
      client.on('error', ignoreError);
      return client;
    } catch (err) {
      throw classifyPgError(err);
    }
  }

  private static release(client: pg.PoolClient, broken: boolean): void {
    client.off('error', ignoreError);
    client.release(broken);
  }

  private async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.migrated) await this.migrate();
    try {
      return (await this.pool.query(sql, params)).rows as T[];
    } catch (err) {
      throw classifyPgError(err);
    }
  }

  /** Runs `body` in one transaction on one pooled connection (rolled back when it throws). */
  async transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (!this.migrated) await this.migrate();
    const client = await this.connect();
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
      PgStore.release(client, broken);
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
    return replyOf.game(await this.rows(SQL.game, [id]));
  }

  async getRounds(gameId: string): Promise<StoredRound[]> {
    return replyOf.rounds(await this.rows(SQL.rounds, [gameId]));
  }

  async getPredictions(
    gameId: string,
    version: string,
  ): Promise<{ round: number; probabilities: Probabilities }[]> {
    return replyOf.predictions(await this.rows(SQL.versionRoundPredictions, [gameId, version]));
  }

  async recordMove(m: MoveRecord): Promise<number> {
    try {
      return await this.transaction(async (client) => {
        await lockRoundsForInsert(client);
        return insertMove(client, m);
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw storedAlready(m);
      }
      throw err;
    }
  }

  async botRecords(): Promise<Map<string, BotRecord>> {
    return replyOf.botRecords(await this.rows(SQL.botRecords));
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
    return replyOf.versionStats(model, games, predictions);
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
    return replyOf.inputCounts(await this.rows(SQL.recentInputs, [bot, window, excludeSynthetic ? 1 : 0]));
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

  async recordDriftSample(bot: string, s: DriftSample, minGapMs = 0): Promise<boolean> {
    // replicas checking at once store one sample: one bot's samples are serialised
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`drift_samples/${bot}`]);
      const inserted = await client.query(SQL.insertDriftSample, [
        bot,
        s.version,
        s.score,
        s.drifted ? 1 : 0,
        s.t,
        minGapMs,
      ]);
      return inserted.rowCount === 1;
    });
  }

  async driftSamples(bot: string, limit: number): Promise<DriftSample[]> {
    return replyOf.driftSamples(await this.rows(SQL.driftSamples, [bot, limit]));
  }

  async exportEnd(after: number, limit: number): Promise<number | null> {
    // under the lock exclusively: every id up to the page's end is committed (or rolled back) by then
    try {
      return await this.transaction(async (client) => {
        await lockRoundsForExport(client, this.exportLockTimeoutMs);
        const { rows } = await client.query<{ until: number | null }>(SQL.exportEnd, [after, limit]);
        return rows[0]!.until;
      });
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03') throw err;
      throw new ExportBusyError(
        `the export waited ${this.exportLockTimeoutMs} ms for the transactions that insert rounds to end, ` +
          `and one has not (a writer that hangs; PostgreSQL ends it after ${this.idleInTransactionTimeoutMs} ms ` +
          'idle in its transaction): retry shortly',
        { cause: err },
      );
    }
  }

  async exportPage(after: number, until: number, limit: number): Promise<ExportedRound[]> {
    return replyOf.exportPage(await this.rows(SQL.exportPage, [after, until, limit]));
  }

  async ping(): Promise<void> {
    await this.rows('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
