import type { Alias, ExportedRound, Probabilities, VersionStats } from '../../core/index.ts';
import type {
  AliasChange,
  BotRecord,
  DriftSample,
  GameBucket,
  GameRecord,
  GameStore,
  MoveRecord,
  StoredRound,
} from './game-store.ts';

/** The database cannot be reached now (a PostgreSQL restart): the server answers 503 and retries later. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * What the game server reads and writes, whichever database holds it: SQLite in the process
 * (`GameStore`, synchronous, wrapped by `SqliteStore`) or a PostgreSQL server shared by every
 * replica (`PgStore`). Replies are the same for both; see GameStore for what each method means.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  createGame(g: GameRecord): Promise<void>;
  getGame(id: string): Promise<GameRecord | null>;
  getRounds(gameId: string): Promise<StoredRound[]>;
  getPredictions(gameId: string, version: string): Promise<{ round: number; probabilities: Probabilities }[]>;
  /** the stored round's id; MoveConflictError when the round is stored already or the game moved on */
  recordMove(m: MoveRecord): Promise<number>;
  botRecords(): Promise<Map<string, BotRecord>>;
  finishedGames(model: string, sinceMs: number, excludeSynthetic: boolean): Promise<number>;
  versionStats(model: string, sinceMs: number, excludeSynthetic: boolean): Promise<VersionStats[]>;
  recentGameIds(bot: string, minRounds: number, limit: number, excludeSynthetic: boolean): Promise<string[]>;
  recordServedVersions(
    bot: string,
    versions: Partial<Record<Alias, string>>,
    at: number,
  ): Promise<AliasChange[]>;
  aliasChanges(bot: string, limit: number): Promise<AliasChange[]>;
  pairSince(bot: string): Promise<number | null>;
  recentPredictions(
    bot: string,
    version: string,
    limit: number,
    excludeSynthetic: boolean,
  ): Promise<{ at: number; correct: 0 | 1 }[]>;
  firstFinished(
    bot: string,
    a: string,
    b: string,
    since: number,
    excludeSynthetic: boolean,
  ): Promise<number | null>;
  gameBuckets(
    bot: string,
    a: string,
    b: string,
    start: number,
    bucketMs: number,
    excludeSynthetic: boolean,
  ): Promise<GameBucket[]>;
  recordDriftSample(bot: string, sample: DriftSample): Promise<void>;
  /** a bot's latest `limit` drift samples, oldest first */
  driftSamples(bot: string, limit: number): Promise<DriftSample[]>;
  exportEnd(after: number, limit: number): Promise<number | null>;
  exportPage(after: number, until: number, limit: number): Promise<ExportedRound[]>;
  /** resolves when the database answers a query now (readiness) */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The SQLite store behind the common interface: every call runs synchronously on this thread. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';

  constructor(readonly sync: GameStore) {}

  async createGame(g: GameRecord): Promise<void> {
    this.sync.createGame(g);
  }
  async getGame(id: string): Promise<GameRecord | null> {
    return this.sync.getGame(id);
  }
  async getRounds(gameId: string): Promise<StoredRound[]> {
    return this.sync.getRounds(gameId);
  }
  async getPredictions(
    gameId: string,
    version: string,
  ): Promise<{ round: number; probabilities: Probabilities }[]> {
    return this.sync.getPredictions(gameId, version);
  }
  async recordMove(m: MoveRecord): Promise<number> {
    return this.sync.recordMove(m);
  }
  async botRecords(): Promise<Map<string, BotRecord>> {
    return this.sync.botRecords();
  }
  async finishedGames(model: string, sinceMs: number, excludeSynthetic: boolean): Promise<number> {
    return this.sync.finishedGames(model, sinceMs, excludeSynthetic);
  }
  async versionStats(model: string, sinceMs: number, excludeSynthetic: boolean): Promise<VersionStats[]> {
    return this.sync.versionStats(model, sinceMs, excludeSynthetic);
  }
  async recentGameIds(
    bot: string,
    minRounds: number,
    limit: number,
    excludeSynthetic: boolean,
  ): Promise<string[]> {
    return this.sync.recentGameIds(bot, minRounds, limit, excludeSynthetic);
  }
  async recordServedVersions(
    bot: string,
    versions: Partial<Record<Alias, string>>,
    at: number,
  ): Promise<AliasChange[]> {
    return this.sync.recordServedVersions(bot, versions, at);
  }
  async aliasChanges(bot: string, limit: number): Promise<AliasChange[]> {
    return this.sync.aliasChanges(bot, limit);
  }
  async pairSince(bot: string): Promise<number | null> {
    return this.sync.pairSince(bot);
  }
  async recentPredictions(
    bot: string,
    version: string,
    limit: number,
    excludeSynthetic: boolean,
  ): Promise<{ at: number; correct: 0 | 1 }[]> {
    return this.sync.recentPredictions(bot, version, limit, excludeSynthetic);
  }
  async firstFinished(
    bot: string,
    a: string,
    b: string,
    since: number,
    excludeSynthetic: boolean,
  ): Promise<number | null> {
    return this.sync.firstFinished(bot, a, b, since, excludeSynthetic);
  }
  async gameBuckets(
    bot: string,
    a: string,
    b: string,
    start: number,
    bucketMs: number,
    excludeSynthetic: boolean,
  ): Promise<GameBucket[]> {
    return this.sync.gameBuckets(bot, a, b, start, bucketMs, excludeSynthetic);
  }
  async recordDriftSample(bot: string, sample: DriftSample): Promise<void> {
    this.sync.recordDriftSample(bot, sample);
  }
  async driftSamples(bot: string, limit: number): Promise<DriftSample[]> {
    return this.sync.driftSamples(bot, limit);
  }
  async exportEnd(after: number, limit: number): Promise<number | null> {
    return this.sync.exportEnd(after, limit);
  }
  async exportPage(after: number, until: number, limit: number): Promise<ExportedRound[]> {
    return this.sync.exportPage(after, until, limit);
  }
  async ping(): Promise<void> {
    this.sync.db.prepare('SELECT 1').get();
  }
  /** the database is closed by whoever opened it */
  async close(): Promise<void> {}
}
