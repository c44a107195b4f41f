import type { Alias, ExportedRound, InputMethod, Probabilities, VersionStats } from '../../core/index.ts';
import type { GameStore } from './game-store.ts';
import type {
  AliasChange,
  BotRecord,
  DriftSample,
  GameBucket,
  GameRecord,
  MoveRecord,
  StoredRound,
} from './records.ts';

/** The database cannot be reached now (a PostgreSQL restart): the server answers 503 and retries later. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * An export page's end could not be fixed in time: a transaction that inserts rounds held the export
 * back longer than the export waits (a writer that hangs); the server answers 503 and the reader
 * retries. PostgreSQL only.
 */
export class ExportBusyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExportBusyError';
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
  /** how a bot's moves among the last `window` rounds stored (all bots) were entered */
  recentInputs(bot: string, window: number, excludeSynthetic: boolean): Promise<Record<InputMethod, number>>;
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
  /** false when the bot's latest sample is less than `minGapMs` older (not stored) */
  recordDriftSample(bot: string, sample: DriftSample, minGapMs?: number): Promise<boolean>;
  /** a bot's latest `limit` drift samples, oldest first */
  driftSamples(bot: string, limit: number): Promise<DriftSample[]>;
  exportEnd(after: number, limit: number): Promise<number | null>;
  exportPage(after: number, until: number, limit: number): Promise<ExportedRound[]>;
  /** resolves when the database answers a query now (readiness) */
  ping(): Promise<void>;
  close(): Promise<void>;
}

type Args<K extends keyof GameStore> = GameStore[K] extends (...a: infer A) => unknown ? A : never;

/** The SQLite store behind the common interface: every call runs synchronously on this thread. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';

  constructor(readonly sync: GameStore) {}

  async createGame(...a: Args<'createGame'>) {
    return this.sync.createGame(...a);
  }
  async getGame(...a: Args<'getGame'>) {
    return this.sync.getGame(...a);
  }
  async getRounds(...a: Args<'getRounds'>) {
    return this.sync.getRounds(...a);
  }
  async getPredictions(...a: Args<'getPredictions'>) {
    return this.sync.getPredictions(...a);
  }
  async recordMove(...a: Args<'recordMove'>) {
    return this.sync.recordMove(...a);
  }
  async botRecords() {
    return this.sync.botRecords();
  }
  async finishedGames(...a: Args<'finishedGames'>) {
    return this.sync.finishedGames(...a);
  }
  async versionStats(...a: Args<'versionStats'>) {
    return this.sync.versionStats(...a);
  }
  async recentGameIds(...a: Args<'recentGameIds'>) {
    return this.sync.recentGameIds(...a);
  }
  async recordServedVersions(...a: Args<'recordServedVersions'>) {
    return this.sync.recordServedVersions(...a);
  }
  async aliasChanges(...a: Args<'aliasChanges'>) {
    return this.sync.aliasChanges(...a);
  }
  async pairSince(...a: Args<'pairSince'>) {
    return this.sync.pairSince(...a);
  }
  async recentPredictions(...a: Args<'recentPredictions'>) {
    return this.sync.recentPredictions(...a);
  }
  async recentInputs(...a: Args<'recentInputs'>) {
    return this.sync.recentInputs(...a);
  }
  async firstFinished(...a: Args<'firstFinished'>) {
    return this.sync.firstFinished(...a);
  }
  async gameBuckets(...a: Args<'gameBuckets'>) {
    return this.sync.gameBuckets(...a);
  }
  async recordDriftSample(...a: Args<'recordDriftSample'>) {
    return this.sync.recordDriftSample(...a);
  }
  async driftSamples(...a: Args<'driftSamples'>) {
    return this.sync.driftSamples(...a);
  }
  async exportEnd(...a: Args<'exportEnd'>) {
    return this.sync.exportEnd(...a);
  }
  async exportPage(...a: Args<'exportPage'>) {
    return this.sync.exportPage(...a);
  }
  async ping(): Promise<void> {
    this.sync.db.prepare('SELECT 1').get();
  }
  /** the database is closed by whoever opened it */
  async close(): Promise<void> {}
}
