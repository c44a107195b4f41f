import { hostname } from 'node:os';
import { artifactStoreConfigFromEnv, type ArtifactStoreConfig } from '../lib/artifact-store.ts';

/** Everything the operator reads from its environment, validated in one place. */
export interface OperatorConfig {
  /** NAMESPACE: the namespace whose RpsModels and PromotionPolicies are reconciled (default rps-quest) */
  namespace: string;
  /** RPS_GAME_URL: the game server's base URL, for /api/v1/models, /stats and the trainer's data (default http://rps-quest-game:8080) */
  gameUrl: string;
  /** RPS_INTERNAL_TOKEN: bearer token for the game server's internal endpoints */
  internalToken: string | null;
  /** S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET */
  artifactStore: ArtifactStoreConfig;
  /** TRAINER_IMAGE: image of the training Jobs (default rps-quest:dev) */
  trainerImage: string;
  /** LEADER_ELECTION: true to run only while holding the Lease (default true) */
  leaderElection: boolean;
  /** LEASE_NAME: the Lease in `namespace` (default rps-quest-operator) */
  leaseName: string;
  /** LEASE_DURATION_SECONDS (default 15), RENEW_DEADLINE_SECONDS (10), RETRY_PERIOD_SECONDS (2) */
  lease: { durationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  /** POD_NAME or the host name: this replica's identity in the Lease and in Events */
  identity: string;
  /** METRICS_PORT: /metrics, /healthz and /readyz (default 8081; 0 picks a free port) */
  metricsPort: number;
  /** WORKERS: concurrent reconciles per kind, never two of one object (default 4) */
  workers: number;
  /** LOG_LEVEL (default info) */
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid operator configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the configuration; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
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
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    problems.push(`${name}="${raw}" must be true or false`);
    return fallback;
  };

  const namespace = env.NAMESPACE || 'rps-quest';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace))
    problems.push(`NAMESPACE="${namespace}" is not a namespace name`);
  const gameUrl = (env.RPS_GAME_URL || 'http://rps-quest-game:8080').replace(/\/+$/, '');
  try {
    new URL(gameUrl);
  } catch {
    problems.push(`RPS_GAME_URL="${gameUrl}" is not a URL (e.g. http://rps-quest-game:8080)`);
  }
  let artifactStore: ArtifactStoreConfig | undefined;
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
  const lease = {
    durationMs: integer('LEASE_DURATION_SECONDS', 15, 2, 600) * 1000,
    renewDeadlineMs: integer('RENEW_DEADLINE_SECONDS', 10, 1, 600) * 1000,
    retryPeriodMs: integer('RETRY_PERIOD_SECONDS', 2, 1, 60) * 1000,
  };
  if (lease.renewDeadlineMs >= lease.durationMs) {
    problems.push('RENEW_DEADLINE_SECONDS must be less than LEASE_DURATION_SECONDS');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL="${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);
  const config = {
    namespace,
    gameUrl,
    internalToken: env.RPS_INTERNAL_TOKEN || null,
    trainerImage: env.TRAINER_IMAGE || 'rps-quest:dev',
    leaderElection: bool('LEADER_ELECTION', true),
    leaseName: env.LEASE_NAME || 'rps-quest-operator',
    lease,
    identity: env.POD_NAME || `${hostname()}-${process.pid}`,
    metricsPort: integer('METRICS_PORT', 8081, 0, 65535),
    workers: integer('WORKERS', 4, 1, 64),
    logLevel,
  };
  if (problems.length || !artifactStore) throw new ConfigError(problems);
  return { ...config, artifactStore };
}
