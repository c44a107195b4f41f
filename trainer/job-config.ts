import {
  ALGORITHMS,
  DEFAULT_FEATURE_SET,
  FEATURE_SET_NAMES,
  type Algorithm,
  type FeatureSetName,
  INPUT_METHODS,
  type InputMethod,
} from '../core/index.ts';
import type { ArtifactStoreConfig } from '../lib/artifact-store.ts';
import { ConfigError, EnvReader } from '../lib/env-config.ts';
import { parseHyperparameters, resolveHyperparameters, type HyperparametersOf } from './hyperparameters.ts';
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

/** The table's settings, each with its flag and variable (given, or derived from its name). */
function settings<K extends string>(
  table: Record<K, string | { help: string; flag?: string; env?: string }>,
): Record<K, Setting> {
  const entries = Object.entries<string | { help: string; flag?: string; env?: string }>(table).map(
    ([name, entry]) => {
      const { help, flag, env } = typeof entry === 'string' ? { help: entry } : entry;
      const words = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      const setting: Setting = {
        flag: flag ?? words,
        env: env ?? `RPS_${words.replaceAll('-', '_').toUpperCase()}`,
        help,
      };
      return [name, setting] as const;
    },
  );
  return Object.fromEntries(entries) as Record<K, Setting>;
}

/**
 * Every flag mirrors an environment variable; a flag wins over the variable. Both follow the
 * setting's name (`maxEvents`: --max-events, RPS_MAX_EVENTS) unless the table names them.
 */
export const SETTINGS = settings({
  model: 'model name (a DNS label), e.g. brian',
  version: 'version to train, v1, v2, …',
  algorithm: ALGORITHMS.join(' | '),
  featureSet: `${FEATURE_SET_NAMES.join(' | ')} (default ${DEFAULT_FEATURE_SET})`,
  search: 'JSON {candidates: [...]} or {random: {budget, seed, ranges}} (docs/training.md)',
  hyperparameters: 'JSON object (docs/training.md)',
  dataUrl: 'game server base URL (reads /api/v1/export/events)',
  dataToken: 'bearer token of the export endpoint',
  dataFile: 'local .ndjson[.gz] export or the game SQLite db',
  seed: 'integer seed (default 1)',
  maxEvents: 'newest rounds kept (default 50000)',
  minTotalEvents: 'cold-start top-up below (default 5000)',
  syntheticStride: 'keep every n-th synthetic game (default 1)',
  inputs: `train on games whose every move was entered by one of these (default ${INPUT_METHODS.join(',')})`,
  bootstrapGames: 'cold-start corpus size (default 200)',
  trigger: `${TRIGGERS.join(' | ')} (default trainNow)`,
  evalRows: `newest test rows the evaluation scores (default ${DEFAULT_EVAL_ROWS})`,
  compareVersion: 'Production version to score on the same rows, e.g. v3',
  compareUri: 'its model, s3://<bucket>/<model>/<version>/model.onnx',
  outDir: {
    help: 'write <model>/<version>/ here instead of the object store',
    flag: 'out',
    env: 'RPS_OUTPUT_DIR',
  },
  s3Endpoint: { help: 'object store URL, e.g. http://127.0.0.1:9000', env: 'S3_ENDPOINT' },
  s3Bucket: { help: 'bucket (default rps-models)', env: 'S3_BUCKET' },
  s3AccessKey: { help: 'object store access key', env: 'S3_ACCESS_KEY' },
  s3SecretKey: { help: 'object store secret key', env: 'S3_SECRET_KEY' },
  s3SessionToken: {
    help: "session token of temporary keys (a training Job's, from MinIO's STS)",
    env: 'S3_SESSION_TOKEN',
  },
  s3Retries: 'attempts per object store call (default 6)',
  terminationLog: 'summary file (default /dev/termination-log)',
});

export function usage(): string {
  const lines = Object.values(SETTINGS).map((s) => `  --${s.flag.padEnd(18)} ${s.env.padEnd(22)} ${s.help}`);
  return `usage: rpsq train [--flag value …]\n\nflags (and the environment variable each mirrors):\n${lines.join('\n')}\n`;
}

/**
 * `--name value` / `--name=value` pairs. A malformed or unknown flag is recorded in `problems` (and
 * skipped), so it is reported with every other problem of the settings.
 */
export function parseFlags(argv: readonly string[], problems: string[] = []): Map<string, string> {
  const known = new Set<string>(Object.values(SETTINGS).map((s) => s.flag));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      problems.push(`unexpected argument ${JSON.stringify(arg)} (see rpsq train --help)`);
      continue;
    }
    const name = m[1]!;
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) {
        problems.push(`flag --${name} needs a value`);
        continue;
      }
      i++;
    }
    if (!known.has(name)) problems.push(`unknown flag --${name} (see rpsq train --help)`);
    else flags.set(name, value);
  }
  return flags;
}

const MODEL_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const VERSION_NAME = /^v[1-9][0-9]*$/;

/** What `parse` returns; a ConfigError it throws is recorded as problems (undefined then). */
function attempt<T>(r: EnvReader, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    r.problems.push(...err.problems);
    return undefined;
  }
}

/**
 * The run's settings: each flag wins over its environment variable, and every problem (flags,
 * settings, hyperparameters, search, object store) is reported at once in one ConfigError.
 */
export function readJobConfig(argv: readonly string[], env: NodeJS.ProcessEnv): JobConfig {
  const flagProblems: string[] = [];
  const flags = parseFlags(argv, flagProblems);
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const s of Object.values(SETTINGS)) {
    const v = flags.get(s.flag);
    if (v !== undefined) merged[s.env] = v;
  }
  const r = new EnvReader(merged);
  r.problems.push(...flagProblems);
  const get = (s: Setting): string | undefined => r.raw(s.env);
  const required = (s: Setting, valid: (v: string) => boolean, allowed: string): string => {
    const v = get(s);
    if (v === undefined) r.problems.push(`${s.env} (or --${s.flag}) is required: ${s.help}`);
    else if (!valid(v)) r.problems.push(`${s.env}="${v}" is invalid: allowed is ${allowed}`);
    return v ?? '';
  };
  const model = required(SETTINGS.model, (v) => MODEL_NAME.test(v) && v.length <= 63, 'a DNS label');
  const version = required(SETTINGS.version, (v) => VERSION_NAME.test(v), 'v1, v2, …');
  const algorithmName = required(
    SETTINGS.algorithm,
    (v) => (ALGORITHMS as readonly string[]).includes(v),
    `one of ${ALGORITHMS.join(', ')}`,
  );
  const algorithm = (ALGORITHMS as readonly string[]).includes(algorithmName)
    ? (algorithmName as Algorithm)
    : undefined;
  // as written (what search candidates are merged over); resolveHyperparameters refuses a non-object
  const base = (attempt(r, () => parseHyperparameters(get(SETTINGS.hyperparameters))) ?? {}) as Record<
    string,
    unknown
  >;
  const hyperparameters = algorithm && attempt(r, () => resolveHyperparameters(algorithm, base));
  const trigger = r.oneOf(SETTINGS.trigger.env, 'trainNow', TRIGGERS) as Trigger;
  const search = attempt(r, () => parseSearch(get(SETTINGS.search))) ?? null;
  // every set checked before any work
  if (search && algorithm && hyperparameters) attempt(r, () => searchCandidates(algorithm, base, search));
  const featureSet = r.oneOf(SETTINGS.featureSet.env, DEFAULT_FEATURE_SET, FEATURE_SET_NAMES);
  const dataUrl = get(SETTINGS.dataUrl) ?? null;
  r.require(
    dataUrl === null || /^https?:\/\/[^/]/.test(dataUrl),
    `${SETTINGS.dataUrl.env}="${dataUrl}" is invalid: allowed is an http(s) URL`,
  );
  const inputs = (get(SETTINGS.inputs) ?? INPUT_METHODS.join(',')).split(',').map((i) => i.trim());
  const unknownInput = inputs.find((i) => !(INPUT_METHODS as readonly string[]).includes(i));
  r.require(
    unknownInput === undefined,
    `${SETTINGS.inputs.env} names ${JSON.stringify(unknownInput)}: allowed is a comma-separated list of ${INPUT_METHODS.join(', ')}`,
  );
  const outDir = get(SETTINGS.outDir) ?? null;
  const store = outDir === null ? r.artifactStore() : undefined;
  const s3Retries = r.integer(SETTINGS.s3Retries.env, 6, 1, 20);
  const seed = r.integer(SETTINGS.seed.env, 1, 0, 2 ** 31 - 1);
  const maxEvents = r.integer(SETTINGS.maxEvents.env, 50_000, 1, 10_000_000);
  const minTotalEvents = r.integer(SETTINGS.minTotalEvents.env, 5_000, 0, 10_000_000);
  const syntheticStride = r.integer(SETTINGS.syntheticStride.env, 1, 1, 1_000_000);
  const bootstrapGames = r.integer(SETTINGS.bootstrapGames.env, 200, 0, 100_000);
  const evalRows = r.integer(SETTINGS.evalRows.env, DEFAULT_EVAL_ROWS, 1, 1_000_000);
  r.done('training job settings');
  // past done(): the algorithm and its hyperparameters were read without a problem
  return {
    model,
    version,
    algorithm: algorithm!,
    hyperparameters: hyperparameters!,
    featureSet: featureSet as FeatureSetName,
    search,
    baseHyperparameters: base,
    dataUrl,
    dataToken: get(SETTINGS.dataToken) ?? null,
    dataFile: get(SETTINGS.dataFile) ?? null,
    seed,
    maxEvents,
    minTotalEvents,
    syntheticStride,
    inputs: [...new Set(inputs as InputMethod[])],
    bootstrapGames,
    trigger,
    evalRows,
    // not checked here: a bad comparison is recorded in metadata.evaluation, it never stops training
    compareVersion: get(SETTINGS.compareVersion) ?? null,
    compareUri: get(SETTINGS.compareUri) ?? null,
    outDir,
    s3: store ? { ...store, retries: s3Retries, backoffMs: 500 } : null,
    terminationLog: get(SETTINGS.terminationLog) ?? '/dev/termination-log',
  };
}
