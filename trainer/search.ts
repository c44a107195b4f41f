import { seededRandom, type Algorithm } from '../core/index.ts';
import type { TrainedModel } from './algorithms/trained-model.ts';
import { ConfigError } from '../lib/env-config.ts';
import { resolveHyperparameters, type HyperparametersOf } from './hyperparameters.ts';

const invalid = (problem: string) => new ConfigError([problem], 'search');
import { evaluate } from './metrics.ts';
import type { Rows } from './split.ts';

/**
 * `RpsModel.spec.search` (RPS_SEARCH): hyperparameter sets tried by one training run on the same
 * split, the best by validation log loss kept. Either a list of `candidates` (each merged over
 * spec.hyperparameters) or a seeded `random` search over `ranges` with a `budget`.
 */
export interface SearchSpec {
  candidates?: Record<string, unknown>[];
  random?: {
    budget: number;
    seed?: number;
    /** per hyperparameter: `{min, max}` (with `log: true` sampled on a log scale; integers stay integers) or `{values}` */
    ranges: Record<
      string,
      { min?: number; max?: number; log?: boolean; integer?: boolean; values?: unknown[] }
    >;
  };
}

/** At most this many hyperparameter sets per run. */
export const MAX_SEARCH_CANDIDATES = 64;

export interface SearchCandidate {
  hyperparameters: Record<string, unknown>;
  validationLogLoss: number;
  validationAccuracy: number;
  seconds: number;
}

/** `metadata.search`: every candidate's score and which one the version is. */
export interface SearchReport {
  metric: 'validationLogLoss';
  best: number;
  candidates: SearchCandidate[];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Parses RPS_SEARCH; the errors name the field and what is allowed. */
export function parseSearch(text: string | undefined): SearchSpec | null {
  if (text === undefined || text.trim() === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(`search is not valid JSON (${(err as Error).message}): ${text}`);
  }
  if (!isObject(raw)) throw invalid(`search must be an object with candidates or random, got ${text}`);
  const { candidates, random, ...rest } = raw;
  if (Object.keys(rest).length) {
    throw invalid(`search has unknown field(s) ${Object.keys(rest).join(', ')}; allowed: candidates, random`);
  }
  if ((candidates === undefined) === (random === undefined)) {
    throw invalid('search needs exactly one of candidates (a list of hyperparameter sets) or random');
  }
  if (candidates !== undefined) {
    if (!Array.isArray(candidates) || candidates.length === 0 || !candidates.every(isObject)) {
      throw invalid('search.candidates must be a non-empty list of hyperparameter objects');
    }
    if (candidates.length > MAX_SEARCH_CANDIDATES) {
      throw invalid(
        `search.candidates has ${candidates.length} sets; at most ${MAX_SEARCH_CANDIDATES} are allowed`,
      );
    }
    return { candidates };
  }
  if (!isObject(random) || !isObject(random.ranges)) {
    throw invalid(
      'search.random must be { budget, seed?, ranges: { <hyperparameter>: {min, max} | {values} } }',
    );
  }
  const budget = random.budget;
  if (
    typeof budget !== 'number' ||
    !Number.isInteger(budget) ||
    budget < 1 ||
    budget > MAX_SEARCH_CANDIDATES
  ) {
    throw invalid(
      `search.random.budget must be an integer from 1 to ${MAX_SEARCH_CANDIDATES}, got ${JSON.stringify(budget)}`,
    );
  }
  for (const [name, r] of Object.entries(random.ranges)) {
    const ok =
      isObject(r) &&
      ((Array.isArray(r.values) && r.values.length > 0) ||
        (typeof r.min === 'number' && typeof r.max === 'number' && r.min <= r.max && (!r.log || r.min > 0)));
    if (!ok) {
      throw invalid(
        `search.random.ranges.${name} must be {min, max} with min <= max (min > 0 with log: true) or {values: [...]}, got ${JSON.stringify(r)}`,
      );
    }
  }
  return { random: random as NonNullable<SearchSpec['random']> };
}

/**
 * One draw from `{min, max}`: uniform, or uniform in the logarithm with `log`; rounded with
 * `integer` or whole-number bounds (not on a log scale). Always within [min, max]: exp(log(x)) is
 * not always x (exp(log(0.00001)) is 0.000009999999999999999, below learningRate's minimum).
 */
export function drawFromRange(
  r: { min: number; max: number; log?: boolean; integer?: boolean },
  random: () => number,
): number {
  const { min, max } = r;
  let v = r.log
    ? Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min)))
    : min + random() * (max - min);
  v = Math.min(max, Math.max(min, v));
  if (r.integer || (Number.isInteger(min) && Number.isInteger(max) && !r.log)) v = Math.round(v);
  return v;
}

/**
 * The hyperparameter sets a search tries, each resolved and checked like spec.hyperparameters
 * (a set the trainer refuses fails the run with its message). Same spec and seed, same sets.
 */
export function searchCandidates<A extends Algorithm>(
  algorithm: A,
  base: Record<string, unknown>,
  search: SearchSpec,
): HyperparametersOf<A>[] {
  const raw: Record<string, unknown>[] = [];
  if (search.candidates) {
    for (const c of search.candidates) raw.push({ ...base, ...c });
  } else if (search.random) {
    const random = seededRandom(search.random.seed ?? 1);
    for (let i = 0; i < search.random.budget; i++) {
      const set: Record<string, unknown> = { ...base };
      for (const [name, r] of Object.entries(search.random.ranges)) {
        if (r.values) {
          set[name] = r.values[Math.min(r.values.length - 1, Math.floor(random() * r.values.length))];
          continue;
        }
        set[name] = drawFromRange(
          r as { min: number; max: number; log?: boolean; integer?: boolean },
          random,
        );
      }
      raw.push(set);
    }
  }
  // every candidate's problems at once
  const problems: string[] = [];
  const sets = raw.map((set, i) => {
    try {
      return resolveHyperparameters(algorithm, set);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(`search candidate ${i + 1} (${JSON.stringify(set)}): ${err.problems.join('; ')}`);
      return undefined;
    }
  });
  if (problems.length) throw new ConfigError(problems, 'search');
  return sets as HyperparametersOf<A>[];
}

/** Trains every candidate on the same rows and keeps the one with the lowest validation log loss. */
export async function runSearch<A extends Algorithm>(
  candidates: readonly HyperparametersOf<A>[],
  train: (hp: HyperparametersOf<A>) => Promise<TrainedModel>,
  validation: Rows,
  log: (fields: Record<string, unknown>) => void = () => {},
): Promise<{ model: TrainedModel; hyperparameters: HyperparametersOf<A>; report: SearchReport }> {
  let best: { model: TrainedModel; hyperparameters: HyperparametersOf<A>; index: number } | null = null;
  const scored: SearchCandidate[] = [];
  for (const [i, hp] of candidates.entries()) {
    const started = performance.now();
    const model = await train(hp);
    const p = await model.predict(validation.x, validation.rows);
    const m = evaluate(p, validation.y, validation.rows, 0);
    const c: SearchCandidate = {
      hyperparameters: hp as Record<string, unknown>,
      validationLogLoss: m.logLoss,
      validationAccuracy: m.accuracy,
      seconds: (performance.now() - started) / 1000,
    };
    scored.push(c);
    log({ msg: 'search', candidate: i + 1, of: candidates.length, ...c });
    if (!best || c.validationLogLoss < scored[best.index]!.validationLogLoss)
      best = { model, hyperparameters: hp, index: i };
  }
  if (!best) throw new Error('a search needs at least one candidate');
  return {
    model: best.model,
    hyperparameters: best.hyperparameters,
    report: { metric: 'validationLogLoss', best: best.index, candidates: scored },
  };
}
