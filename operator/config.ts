import { hostname } from 'node:os';
import type { ArtifactStoreConfig } from '../lib/artifact-store.ts';
import { EnvReader } from '../lib/env-config.ts';

export { ConfigError } from '../lib/env-config.ts';

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

/** Reads and validates the configuration; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const read = new EnvReader(env);
  const namespace = read.string('NAMESPACE', 'rps-quest');
  read.require(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace),
    `NAMESPACE="${namespace}" is not a namespace name`,
  );
  const gameUrl = read.url('RPS_GAME_URL', 'http://rps-quest-game:8080', 'http://rps-quest-game:8080');
  const artifactStore = read.artifactStore();
  const lease = {
    durationMs: read.integer('LEASE_DURATION_SECONDS', 15, 2, 600) * 1000,
    renewDeadlineMs: read.integer('RENEW_DEADLINE_SECONDS', 10, 1, 600) * 1000,
    retryPeriodMs: read.integer('RETRY_PERIOD_SECONDS', 2, 1, 60) * 1000,
  };
  read.require(
    lease.renewDeadlineMs < lease.durationMs,
    'RENEW_DEADLINE_SECONDS must be less than LEASE_DURATION_SECONDS',
  );
  const logLevel = read.logLevel();
  const config = {
    namespace,
    gameUrl,
    internalToken: read.raw('RPS_INTERNAL_TOKEN') ?? null,
    trainerImage: read.string('TRAINER_IMAGE', 'rps-quest:dev'),
    leaderElection: read.bool('LEADER_ELECTION', true),
    leaseName: read.string('LEASE_NAME', 'rps-quest-operator'),
    lease,
    identity: read.string('POD_NAME', `${hostname()}-${process.pid}`),
    metricsPort: read.integer('METRICS_PORT', 8081, 0, 65535),
    workers: read.integer('WORKERS', 4, 1, 64),
    logLevel,
  };
  read.done('operator configuration');
  // done() threw if the object store settings were missing
  return { ...config, artifactStore: artifactStore! };
}
