import { hostname } from 'node:os';
import type { ArtifactStoreConfig } from '../lib/artifact-store.ts';
import { EnvReader } from '../lib/env-config.ts';

export { ConfigError } from '../lib/env-config.ts';

/** Everything the operator reads from its environment, validated in one place. */
export interface OperatorConfig {
  /** NAMESPACE: the operator's own namespace: its Lease, and the game server of RPS_GAME_URL (default rps-quest) */
  namespace: string;
  /** WATCH_NAMESPACES: the namespaces whose RpsModels and PromotionPolicies are reconciled, comma-separated (default: every namespace) */
  watchNamespaces: string[];
  /** RPS_GAME_URL: the game server of `namespace`, for /api/v1/models, /stats and the trainer's data (default http://rps-quest-game:8080) */
  gameUrl: string;
  /** RPS_GAME_URL_TEMPLATE: the game server of any other namespace, `{namespace}` replaced (default http://rps-quest-game.{namespace}.svc:8080) */
  gameUrlTemplate: string;
  /** RPS_GAME_URLS: game servers per namespace that the template does not describe, `ns=url,…` */
  gameUrls: Record<string, string>;
  /** RPS_INTERNAL_TOKEN: bearer token for the game server's internal endpoints */
  internalToken: string | null;
  /** S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET */
  artifactStore: ArtifactStoreConfig;
  /**
   * S3_MINTER_ACCESS_KEY, S3_MINTER_SECRET_KEY: the keys that ask the object store's STS (at
   * S3_ENDPOINT) for each training Job's own temporary keys
   */
  keyMinter: { accessKey: string; secretKey: string };
  /** TRAINER_IMAGE: image of the training Jobs (default null: the operator's own image, read from its Pod) */
  trainerImage: string | null;
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

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DEFAULT_GAME_URL_TEMPLATE = 'http://rps-quest-game.{namespace}.svc:8080';

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * The game server that serves a namespace's models (each namespace has its own, reading its own
 * serving ConfigMap): RPS_GAME_URLS's entry, else RPS_GAME_URL for the operator's namespace, else
 * the template.
 */
export function gameUrlFor(
  config: Pick<OperatorConfig, 'namespace' | 'gameUrl' | 'gameUrlTemplate' | 'gameUrls'>,
  namespace: string,
): string {
  return (
    config.gameUrls[namespace] ??
    (namespace === config.namespace
      ? config.gameUrl
      : config.gameUrlTemplate.replaceAll('{namespace}', namespace))
  );
}

/** Reads and validates the configuration; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const read = new EnvReader(env);
  const namespace = read.string('NAMESPACE', 'rps-quest');
  read.require(NAMESPACE_NAME.test(namespace), `NAMESPACE="${namespace}" is not a namespace name`);
  const gameUrl = read.url('RPS_GAME_URL', 'http://rps-quest-game:8080', 'http://rps-quest-game:8080');
  const watchNamespaces = (read.raw('WATCH_NAMESPACES') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  for (const n of watchNamespaces) {
    read.require(NAMESPACE_NAME.test(n), `WATCH_NAMESPACES: "${n}" is not a namespace name`);
  }
  const gameUrlTemplate = read.string('RPS_GAME_URL_TEMPLATE', DEFAULT_GAME_URL_TEMPLATE);
  read.require(
    gameUrlTemplate.includes('{namespace}') && isHttpUrl(gameUrlTemplate.replace('{namespace}', 'x')),
    `RPS_GAME_URL_TEMPLATE="${gameUrlTemplate}" must be an http(s) URL containing {namespace}, e.g. ${DEFAULT_GAME_URL_TEMPLATE}`,
  );
  const gameUrls: Record<string, string> = {};
  for (const entry of (read.raw('RPS_GAME_URLS') ?? '').split(',').filter((e) => e.trim())) {
    const [ns = '', url = ''] = entry.trim().split(/=(.*)/s);
    const valid = NAMESPACE_NAME.test(ns) && isHttpUrl(url);
    read.require(valid, `RPS_GAME_URLS: "${entry.trim()}" is not <namespace>=<http(s) URL>`);
    if (valid) gameUrls[ns] = url.replace(/\/$/, '');
  }
  const artifactStore = read.artifactStore();
  const minterAccessKey = read.raw('S3_MINTER_ACCESS_KEY');
  const minterSecretKey = read.raw('S3_MINTER_SECRET_KEY');
  read.require(
    !!minterAccessKey && !!minterSecretKey,
    "S3_MINTER_ACCESS_KEY and S3_MINTER_SECRET_KEY are required: the keys that mint each training Job's object store keys (Secret rps-quest-s3-minter)",
  );
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
    watchNamespaces,
    gameUrl,
    gameUrlTemplate,
    gameUrls,
    internalToken: read.raw('RPS_INTERNAL_TOKEN') ?? null,
    trainerImage: read.raw('TRAINER_IMAGE') || null,
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
  return {
    ...config,
    artifactStore: artifactStore!,
    keyMinter: { accessKey: minterAccessKey!, secretKey: minterSecretKey! },
  };
}
