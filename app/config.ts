import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DRIFT_MIN_REFERENCE_ROWS,
  DEFAULT_DRIFT_MIN_ROWS,
  DEFAULT_DRIFT_THRESHOLD,
} from '../core/index.ts';
import type { ArtifactStoreConfig } from '../lib/artifact-store.ts';
import { EnvReader } from '../lib/env-config.ts';

export { ConfigError } from '../lib/env-config.ts';

/** Everything the game server reads from its environment, validated in one place. */
export interface AppConfig {
  /** PORT, default 8080 */
  port: number;
  /** HOST, default 0.0.0.0 */
  host: string;
  /** RPS_DB: SQLite file, default ./rps-quest.db (`:memory:` for throwaway servers) */
  dbPath: string;
  /**
   * RPS_DATABASE_URL: postgres://user:password@host:port/database to keep games in PostgreSQL (shared
   * by every replica); unset = the SQLite file RPS_DB
   */
  databaseUrl: string | null;
  /** RPS_PG_POOL_SIZE: PostgreSQL connections per replica (reads, game starts, move batches), default 10 */
  pgPoolSize: number;
  /** RPS_MANIFEST_DIR: the mounted `<deployment>-models` ConfigMap; unset = no manifests, uniform-EV bots */
  manifestDir: string | null;
  /** RPS_MANIFEST_POLL_MS: how often the manifest directory is re-read besides file events, default 2000 */
  manifestPollMs: number;
  /** RPS_MODEL_CACHE_DIR: verified model files by sha256, default <tmp>/rps-quest-models */
  modelCacheDir: string;
  /** RPS_INTERNAL_TOKEN: bearer token for /stats and /export; unset = those endpoints answer 503 */
  internalToken: string | null;
  /** S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET; null when S3_ENDPOINT is unset */
  artifactStore: ArtifactStoreConfig | null;
  /** RPS_RATE_LIMIT: requests per minute per client on the public routes, default 1200 */
  rateLimitPerMinute: number;
  /** LOG_LEVEL: pino level, default info */
  logLevel: string;
  /**
   * RPS_TRUST_PROXY: whose X-Forwarded-For to believe for the client address (rate limits per player
   * behind an ingress): unset/false = nobody, true = any, a number = that many hops, else addresses/CIDRs
   */
  trustProxy: boolean | number | string;
  /** RPS_DRIFT_WINDOW_ROUNDS: how many of a bot's latest model rounds (round 4 on) the drift check compares, default 1000 (500 gave false alarms on unchanged players) */
  driftWindowRounds: number;
  /** RPS_DRIFT_THRESHOLD: the population stability index from which a bot counts as drifted, default 0.2 */
  driftThreshold: number;
  /** RPS_DRIFT_MIN_ROWS: fewer recent rounds than this conclude nothing (insufficientData), default 200 */
  driftMinRows: number;
  /** RPS_DRIFT_MIN_REFERENCE_ROWS: a Production version trained on fewer rows than this concludes nothing (its score is noise), default 500 */
  driftMinReferenceRows: number;
  /** RPS_DRIFT_INTERVAL_MS: how often the drift metrics are recomputed in the background, default 30000 */
  driftIntervalMs: number;
}

/** Reads and validates the configuration; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const read = new EnvReader(env);
  const port = read.integer('PORT', 8080, 0, 65535);
  const manifestPollMs = read.integer('RPS_MANIFEST_POLL_MS', 2000, 100, 3_600_000);
  const rateLimitPerMinute = read.integer('RPS_RATE_LIMIT', 1200, 1, 10_000_000);
  const driftWindowRounds = read.integer('RPS_DRIFT_WINDOW_ROUNDS', 1000, 10, 100_000);
  const driftMinRows = read.integer('RPS_DRIFT_MIN_ROWS', DEFAULT_DRIFT_MIN_ROWS, 1, 100_000);
  const driftMinReferenceRows = read.integer(
    'RPS_DRIFT_MIN_REFERENCE_ROWS',
    DEFAULT_DRIFT_MIN_REFERENCE_ROWS,
    1,
    10_000_000,
  );
  const pgPoolSize = read.integer('RPS_PG_POOL_SIZE', 10, 2, 100);
  const databaseUrl = read.raw('RPS_DATABASE_URL') ?? null;
  read.require(
    databaseUrl === null || /^postgres(ql)?:\/\/[^/]+/.test(databaseUrl),
    'RPS_DATABASE_URL must be a PostgreSQL URL, postgres://user:password@host:port/database (unset: SQLite in RPS_DB)',
  );
  const driftIntervalMs = read.integer('RPS_DRIFT_INTERVAL_MS', 30_000, 1000, 3_600_000);
  const driftThreshold = read.number(
    'RPS_DRIFT_THRESHOLD',
    DEFAULT_DRIFT_THRESHOLD,
    { above: 0, max: 10 },
    'PSI',
  );
  const logLevel = read.logLevel();
  const internalToken = read.raw('RPS_INTERNAL_TOKEN') ?? null;
  read.require(
    internalToken === null || internalToken.length >= 16,
    'RPS_INTERNAL_TOKEN must be at least 16 characters (it guards /stats and /export)',
  );
  // without S3_ENDPOINT the server runs on the default bot only
  const artifactStore = read.raw('S3_ENDPOINT') ? (read.artifactStore() ?? null) : null;

  const rawProxy = (env.RPS_TRUST_PROXY ?? '').trim();
  const trustProxy: boolean | number | string =
    rawProxy === '' || rawProxy === 'false'
      ? false
      : rawProxy === 'true'
        ? true
        : /^\d+$/.test(rawProxy)
          ? Number(rawProxy)
          : rawProxy;

  read.done();
  return {
    port,
    host: read.string('HOST', '0.0.0.0'),
    dbPath: read.string('RPS_DB', 'rps-quest.db'),
    databaseUrl,
    pgPoolSize,
    manifestDir: read.raw('RPS_MANIFEST_DIR') ?? null,
    manifestPollMs,
    modelCacheDir: read.string('RPS_MODEL_CACHE_DIR', join(tmpdir(), 'rps-quest-models')),
    internalToken,
    artifactStore,
    rateLimitPerMinute,
    logLevel,
    trustProxy,
    driftWindowRounds,
    driftThreshold,
    driftMinRows,
    driftMinReferenceRows,
    driftIntervalMs,
  };
}
