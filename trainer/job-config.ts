import {
  ALGORITHMS,
  DEFAULT_FEATURE_SET,
  FEATURE_SET_NAMES,
  isFeatureSetName,
  type Algorithm,
  type FeatureSetName,
  INPUT_METHODS,
  type InputMethod,
} from '../core/index.ts';
import type { ArtifactStoreConfig } from '../lib/artifact-store.ts';
import {
  ConfigError,
  parseHyperparameters,
  resolveHyperparameters,
  type HyperparametersOf,
} from './hyperparameters.ts';
import { DEFAULT_EVAL_ROWS } from './evaluation.ts';
import { parseSearch, searchCandidates, type SearchSpec } from './search.ts';

export const TRIGGERS = ['created', 'specChanged', 'schedule', 'trainNow', 'drift', 'accuracyDrop'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** One training run, from the Job contract's environment and/or the matching flags. */
export interface JobConfig {
  model: string;
  version: string;
  algorithm: Algorithm;
  hyperparameters: HyperparametersOf<Algorithm>;
  featureSet: FeatureSetName;
  /** spec.search: hyperparameter sets to try, or null */
  search: SearchSpec | null;
  /** spec.hyperparameters as written, what search candidates are merged over */
  baseHyperparameters: Record<string, unknown>;
  dataUrl: string | null;
  dataToken: string | null;
  dataFile: string | null;
  seed: number;
  maxEvents: number;
  minTotalEvents: number;
  syntheticStride: number;
  /** games entered only by these methods are trained on */
  inputs: InputMethod[];
  bootstrapGames: number;
  trigger: Trigger;
  /** held-out rows of the offline evaluation */
  evalRows: number;
  /** the current Production version to compare with (both set by the operator, or neither) */
  compareVersion: string | null;
  compareUri: string | null;
  /** write the version to this directory instead of the object store */
  outDir: string | null;
  s3: ArtifactStoreConfig | null;
  terminationLog: string;
}

interface Setting {
  flag: string;
  env: string;
  help: string;
}

/** Every flag mirrors an environment variable; a flag wins over the variable. */
export const SETTINGS = {
  model: { flag: 'model', env: 'RPS_MODEL', help: 'model name (a DNS label), e.g. brian' },
  version: { flag: 'version', env: 'RPS_VERSION', help: 'version to train, v1, v2, …' },
  algorithm: { flag: 'algorithm', env: 'RPS_ALGORITHM', help: ALGORITHMS.join(' | ') },
  featureSet: {
    flag: 'feature-set',
    env: 'RPS_FEATURE_SET',
    help: `${FEATURE_SET_NAMES.join(' | ')} (default ${DEFAULT_FEATURE_SET})`,
  },
  search: {
    flag: 'search',
    env: 'RPS_SEARCH',
    help: 'JSON {candidates: [...]} or {random: {budget, seed, ranges}} (docs/training.md)',
  },
  hyperparameters: {
    flag: 'hyperparameters',
    env: 'RPS_HYPERPARAMETERS',
    help: 'JSON object (docs/training.md)',
  },
  dataUrl: {
    flag: 'data-url',
    env: 'RPS_DATA_URL',
    help: 'game server base URL (reads /api/v1/export/events)',
  },
  dataToken: { flag: 'data-token', env: 'RPS_DATA_TOKEN', help: 'bearer token of the export endpoint' },
  dataFile: {
    flag: 'data-file',
    env: 'RPS_DATA_FILE',
    help: 'local .ndjson[.gz] export or the game SQLite db',
  },
  seed: { flag: 'seed', env: 'RPS_SEED', help: 'integer seed (default 1)' },
  maxEvents: { flag: 'max-events', env: 'RPS_MAX_EVENTS', help: 'newest rounds kept (default 50000)' },
  minTotalEvents: {
    flag: 'min-total-events',
    env: 'RPS_MIN_TOTAL_EVENTS',
    help: 'cold-start top-up below (default 5000)',
  },
  syntheticStride: {
    flag: 'synthetic-stride',
    env: 'RPS_SYNTHETIC_STRIDE',
    help: 'keep every n-th synthetic game (default 1)',
  },
  inputs: {
    flag: 'inputs',
    env: 'RPS_INPUTS',
    help: `train on games whose every move was entered by one of these (default ${INPUT_METHODS.join(',')})`,
  },
  bootstrapGames: {
    flag: 'bootstrap-games',
    env: 'RPS_BOOTSTRAP_GAMES',
    help: 'cold-start corpus size (default 200)',
  },
  trigger: { flag: 'trigger', env: 'RPS_TRIGGER', help: `${TRIGGERS.join(' | ')} (default trainNow)` },
  evalRows: {
    flag: 'eval-rows',
    env: 'RPS_EVAL_ROWS',
    help: `newest test rows the evaluation scores (default ${DEFAULT_EVAL_ROWS})`,
  },
  compareVersion: {
    flag: 'compare-version',
    env: 'RPS_COMPARE_VERSION',
    help: 'Production version to score on the same rows, e.g. v3',
  },
  compareUri: {
    flag: 'compare-uri',
    env: 'RPS_COMPARE_URI',
    help: 'its model, s3://<bucket>/<model>/<version>/model.onnx',
  },
  outDir: {
    flag: 'out',
    env: 'RPS_OUTPUT_DIR',
    help: 'write <model>/<version>/ here instead of the object store',
  },
  s3Endpoint: {
    flag: 's3-endpoint',
    env: 'S3_ENDPOINT',
    help: 'object store URL, e.g. http://127.0.0.1:9000',
  },
  s3Bucket: { flag: 's3-bucket', env: 'S3_BUCKET', help: 'bucket (default rps-models)' },
  s3AccessKey: { flag: 's3-access-key', env: 'S3_ACCESS_KEY', help: 'object store access key' },
  s3SecretKey: { flag: 's3-secret-key', env: 'S3_SECRET_KEY', help: 'object store secret key' },
  s3Retries: {
    flag: 's3-retries',
    env: 'RPS_S3_RETRIES',
    help: 'attempts per object store call (default 6)',
  },
  terminationLog: {
    flag: 'termination-log',
    env: 'RPS_TERMINATION_LOG',
    help: 'summary file (default /dev/termination-log)',
  },
} as const satisfies Record<string, Setting>;

export function usage(): string {
  const lines = Object.values(SETTINGS).map((s) => `  --${s.flag.padEnd(18)} ${s.env.padEnd(22)} ${s.help}`);
  return `usage: rpsq train [--flag value …]\n\nflags (and the environment variable each mirrors):\n${lines.join('\n')}\n`;
}

/** `--name value` / `--name=value` pairs; unknown flags are a ConfigError. */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const known = new Set<string>(Object.values(SETTINGS).map((s) => s.flag));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}\n${usage()}`);
    const name = m[1]!;
    if (!known.has(name)) throw new ConfigError(`unknown flag --${name}\n${usage()}`);
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new ConfigError(`flag --${name} needs a value`);
      i++;
    }
    flags.set(name, value);
  }
  return flags;
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name}=${JSON.stringify(text)} is invalid: allowed is an integer in [${min}, ${max}]`,
    );
  }
  return value;
}

const MODEL_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const VERSION_NAME = /^v[1-9][0-9]*$/;

export function readJobConfig(argv: readonly string[], env: NodeJS.ProcessEnv): JobConfig {
  const flags = parseFlags(argv);
  const get = (s: Setting): string | undefined => {
    const v = flags.get(s.flag) ?? env[s.env];
    return v === '' ? undefined : v;
  };
  const required = (s: Setting): string => {
    const v = get(s);
    if (v === undefined) throw new ConfigError(`${s.env} (or --${s.flag}) is required: ${s.help}`);
    return v;
  };
  const model = required(SETTINGS.model);
  if (!MODEL_NAME.test(model) || model.length > 63) {
    throw new ConfigError(
      `${SETTINGS.model.env}=${JSON.stringify(model)} is invalid: allowed is a DNS label`,
    );
  }
  const version = required(SETTINGS.version);
  if (!VERSION_NAME.test(version)) {
    throw new ConfigError(
      `${SETTINGS.version.env}=${JSON.stringify(version)} is invalid: allowed is v1, v2, …`,
    );
  }
  const algorithm = required(SETTINGS.algorithm);
  if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new ConfigError(
      `${SETTINGS.algorithm.env}=${JSON.stringify(algorithm)} is invalid: allowed is one of ${ALGORITHMS.join(', ')}`,
    );
  }
  // as written (what search candidates are merged over); resolveHyperparameters refuses a non-object
  const base = parseHyperparameters(get(SETTINGS.hyperparameters)) as Record<string, unknown>;
  const hyperparameters = resolveHyperparameters(algorithm as Algorithm, base);
  const trigger = get(SETTINGS.trigger) ?? 'trainNow';
  if (!(TRIGGERS as readonly string[]).includes(trigger)) {
    throw new ConfigError(
      `${SETTINGS.trigger.env}=${JSON.stringify(trigger)} is invalid: allowed is one of ${TRIGGERS.join(', ')}`,
    );
  }
  const search = parseSearch(get(SETTINGS.search));
  if (search) searchCandidates(algorithm as Algorithm, base, search); // every set checked before any work
  const featureSetName = get(SETTINGS.featureSet) ?? DEFAULT_FEATURE_SET;
  if (!isFeatureSetName(featureSetName)) {
    throw new ConfigError(
      `${SETTINGS.featureSet.env}=${JSON.stringify(featureSetName)} is invalid: allowed is one of ${FEATURE_SET_NAMES.join(', ')}`,
    );
  }
  const dataUrl = get(SETTINGS.dataUrl) ?? null;
  if (dataUrl !== null && !/^https?:\/\/[^/]/.test(dataUrl)) {
    throw new ConfigError(
      `${SETTINGS.dataUrl.env}=${JSON.stringify(dataUrl)} is invalid: allowed is an http(s) URL`,
    );
  }
  const inputs = (get(SETTINGS.inputs) ?? INPUT_METHODS.join(',')).split(',').map((i) => i.trim());
  const unknownInput = inputs.find((i) => !(INPUT_METHODS as readonly string[]).includes(i));
  if (unknownInput !== undefined) {
    throw new ConfigError(
      `${SETTINGS.inputs.env} names ${JSON.stringify(unknownInput)}: allowed is a comma-separated list of ${INPUT_METHODS.join(', ')}`,
    );
  }
  const outDir = get(SETTINGS.outDir) ?? null;
  let s3: ArtifactStoreConfig | null = null;
  if (outDir === null) {
    const missing = [SETTINGS.s3Endpoint, SETTINGS.s3AccessKey, SETTINGS.s3SecretKey].filter((s) => !get(s));
    if (missing.length) {
      throw new ConfigError(
        `object store settings missing: ${missing.map((s) => `${s.env} (--${s.flag})`).join(', ')}; or use --out <dir>`,
      );
    }
    const endpoint = get(SETTINGS.s3Endpoint)!;
    if (!/^https?:\/\/[^/]/.test(endpoint)) {
      throw new ConfigError(
        `${SETTINGS.s3Endpoint.env}=${JSON.stringify(endpoint)} is invalid: allowed is an http(s) URL`,
      );
    }
    s3 = {
      endpoint,
      accessKey: get(SETTINGS.s3AccessKey)!,
      secretKey: get(SETTINGS.s3SecretKey)!,
      bucket: get(SETTINGS.s3Bucket) ?? 'rps-models',
      retries: integer(SETTINGS.s3Retries.env, get(SETTINGS.s3Retries), 6, 1, 20),
      backoffMs: 500,
    };
  }
  return {
    model,
    version,
    algorithm: algorithm as Algorithm,
    hyperparameters,
    featureSet: featureSetName,
    search,
    baseHyperparameters: base,
    dataUrl,
    dataToken: get(SETTINGS.dataToken) ?? null,
    dataFile: get(SETTINGS.dataFile) ?? null,
    seed: integer(SETTINGS.seed.env, get(SETTINGS.seed), 1, 0, 2 ** 31 - 1),
    maxEvents: integer(SETTINGS.maxEvents.env, get(SETTINGS.maxEvents), 50_000, 1, 10_000_000),
    minTotalEvents: integer(SETTINGS.minTotalEvents.env, get(SETTINGS.minTotalEvents), 5_000, 0, 10_000_000),
    syntheticStride: integer(SETTINGS.syntheticStride.env, get(SETTINGS.syntheticStride), 1, 1, 1_000_000),
    inputs: [...new Set(inputs as InputMethod[])],
    bootstrapGames: integer(SETTINGS.bootstrapGames.env, get(SETTINGS.bootstrapGames), 200, 0, 100_000),
    trigger: trigger as Trigger,
    evalRows: integer(SETTINGS.evalRows.env, get(SETTINGS.evalRows), DEFAULT_EVAL_ROWS, 1, 1_000_000),
    // not checked here: a bad comparison is recorded in metadata.evaluation, it never stops training
    compareVersion: get(SETTINGS.compareVersion) ?? null,
    compareUri: get(SETTINGS.compareUri) ?? null,
    outDir,
    s3,
    terminationLog: get(SETTINGS.terminationLog) ?? '/dev/termination-log',
  };
}
