import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DRIFT_MIN_ROWS, DEFAULT_DRIFT_THRESHOLD } from '../core/index.ts';
import { artifactStoreConfigFromEnv, type ArtifactStoreConfig } from '../lib/artifact-store.ts';

/** Everything the game server reads from its environment, validated in one place. */
export interface AppConfig {
  /** PORT, default 8080 */
  port: number;
  /** HOST, default 0.0.0.0 */
  host: string;
  /** RPS_DB: SQLite file, default ./rps-quest.db (`:memory:` for throwaway servers) */
  dbPath: string;
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
  /** RPS_DRIFT_INTERVAL_MS: how often the drift metrics are recomputed in the background, default 30000 */
  driftIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the configuration; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}="${raw}" must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };

  const port = integer('PORT', 8080, 0, 65535);
  const manifestPollMs = integer('RPS_MANIFEST_POLL_MS', 2000, 100, 3_600_000);
  const rateLimitPerMinute = integer('RPS_RATE_LIMIT', 1200, 1, 10_000_000);
  const driftWindowRounds = integer('RPS_DRIFT_WINDOW_ROUNDS', 1000, 10, 100_000);
  const driftMinRows = integer('RPS_DRIFT_MIN_ROWS', DEFAULT_DRIFT_MIN_ROWS, 1, 100_000);
  const driftIntervalMs = integer('RPS_DRIFT_INTERVAL_MS', 30_000, 1000, 3_600_000);
  let driftThreshold = DEFAULT_DRIFT_THRESHOLD;
  const rawThreshold = env.RPS_DRIFT_THRESHOLD;
  if (rawThreshold !== undefined && rawThreshold !== '') {
    driftThreshold = Number(rawThreshold);
    if (!Number.isFinite(driftThreshold) || driftThreshold <= 0 || driftThreshold > 10) {
      problems.push(`RPS_DRIFT_THRESHOLD="${rawThreshold}" must be a number above 0 and at most 10 (PSI)`);
      driftThreshold = DEFAULT_DRIFT_THRESHOLD;
    }
  }

  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL="${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);

  const internalToken = env.RPS_INTERNAL_TOKEN || null;
  if (internalToken !== null && internalToken.length < 16) {
    problems.push('RPS_INTERNAL_TOKEN must be at least 16 characters (it guards /stats and /export)');
  }

  let artifactStore: ArtifactStoreConfig | null = null;
  if (env.S3_ENDPOINT) {
    try {
      artifactStore = artifactStoreConfigFromEnv(env);
      new URL(artifactStore.endpoint);
    } catch (err) {
      problems.push(
        err instanceof TypeError
          ? `S3_ENDPOINT="${env.S3_ENDPOINT}" is not a URL (e.g. http://minio:9000)`
          : (err as Error).message,
      );
    }
  }

  const rawProxy = (env.RPS_TRUST_PROXY ?? '').trim();
  const trustProxy: boolean | number | string =
    rawProxy === '' || rawProxy === 'false'
      ? false
      : rawProxy === 'true'
        ? true
        : /^\d+$/.test(rawProxy)
          ? Number(rawProxy)
          : rawProxy;

  if (problems.length) throw new ConfigError(problems);
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dbPath: env.RPS_DB || 'rps-quest.db',
    manifestDir: env.RPS_MANIFEST_DIR || null,
    manifestPollMs,
    modelCacheDir: env.RPS_MODEL_CACHE_DIR || join(tmpdir(), 'rps-quest-models'),
    internalToken,
    artifactStore,
    rateLimitPerMinute,
    logLevel,
    trustProxy,
    driftWindowRounds,
    driftThreshold,
    driftMinRows,
    driftIntervalMs,
  };
}
