// bench/bots.ts --validate: leave-one-family-out validation over the training families, to choose
// the bots' defaults without looking at the held-out families (docs/bots.md).
import { cpus } from 'node:os';
import {
  ALGORITHMS,
  DECISION_RULE,
  TRAINING_FAMILIES,
  coldStartCorpus,
  featureSet,
  type Algorithm,
  type DecisionRule,
  type FeatureSet,
  type TrainingFamily,
} from '../../core/index.ts';
import type { DatasetGame } from '../../trainer/dataset.ts';
import { fit, winRate } from './bot-games.ts';

/** A --rule value: τ, read τ, trust start, trust scale. */
function parseRule(text: string): DecisionRule {
  const v = text.split(',').map(Number);
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x)) || !(v[0]! > 0) || v[1]! < 0 || v[3]! < 0) {
    throw new RangeError(
      `--rule must be τ,readτ,trustStart,trustScale (τ > 0, the others finite, readτ and scale >= 0), got ${JSON.stringify(text)}`,
    );
  }
  return { temperature: v[0]!, readTemperature: v[1]!, trustStart: v[2]!, trustScale: v[3]! };
}

/** --hp values: `<algorithm>:<JSON object>`, merged per algorithm. */
function parseOverrides(values: string[]): Record<Algorithm, Record<string, unknown>> {
  const out = { mlp: {}, gbdt: {}, logistic: {} } as Record<Algorithm, Record<string, unknown>>;
  for (const text of values) {
    const at = text.indexOf(':');
    const algorithm = text.slice(0, at) as Algorithm;
    if (at < 0 || !ALGORITHMS.includes(algorithm)) {
      throw new RangeError(
        `--hp must be <${ALGORITHMS.join('|')}>:<JSON object>, got ${JSON.stringify(text)}`,
      );
    }
    Object.assign(out[algorithm], JSON.parse(text.slice(at + 1)) as Record<string, unknown>);
  }
  return out;
}

/** The groups of rps-features/v2 columns `--mask` can blank (docs/features.md, the 91 features). */
const MASK_GROUPS: Record<string, (name: string, index: number) => boolean> = {
  evidence: (_, i) => i < 57,
  scores: (n) => n.endsWith('_score') && n !== 'best_score',
  best: (n) => n.startsWith('best_'),
  mixture: (n) => n.startsWith('mixture_'),
  values: (n) => n.startsWith('value_'),
  context: (_, i) => i >= 87,
};

/**
 * rps-features/v2 with some column groups held at 0 in training and in play alike (constant
 * columns carry nothing after standardisation): what a model does without them.
 */
function maskedSet(groups: string[]): FeatureSet {
  const set = featureSet('rps-features/v2');
  const unknown = groups.filter((g) => !(g in MASK_GROUPS));
  if (unknown.length) {
    throw new RangeError(`--mask takes ${Object.keys(MASK_GROUPS).join(', ')}; got ${unknown.join(', ')}`);
  }
  const columns = set.names.flatMap((n, i) => (groups.some((g) => MASK_GROUPS[g]!(n, i)) ? [i] : []));
  if (!groups.length) return set;
  const blank = (x: Float32Array) => {
    for (let r = 0; r < x.length; r += set.count) for (const c of columns) x[r + c] = 0;
    return x;
  };
  const features: FeatureSet['features'] = (previous, round, values) =>
    blank(set.features(previous, round, values));
  return {
    ...set,
    features,
    batch: (games, options) => {
      const b = set.batch(games, options);
      return { ...b, x: blank(b.x) };
    },
    reader: () => ({ features }),
  };
}

/** The cold-start corpus without one training family: at least `events` rounds. */
function corpusWithout(
  family: TrainingFamily,
  events: number,
  corpusSeed: number,
  order: 'members' | 'families',
  reader: 'alternate' | 'uniform' | 'mixture',
): DatasetGame[] {
  const families = TRAINING_FAMILIES.filter((f) => f !== family);
  const out: DatasetGame[] = [];
  let total = 0;
  const games = Math.ceil(events / 6);
  for (const g of coldStartCorpus({ games, seed: corpusSeed, families, order, reader })) {
    if (total >= events) break;
    out.push({
      gameId: g.gameId,
      source: 'cold-start',
      synthetic: true,
      player: g.player,
      rounds: g.rounds,
      events: [],
    });
    total += g.rounds.length;
  }
  if (total < events) throw new Error(`the corpus without ${family} holds only ${total} rounds`);
  return out;
}

export interface ValidationOptions {
  /** a command-line option's value, or the fallback */
  arg(name: string, fallback: string): string;
  /** every value of a repeatable command-line option */
  args(name: string): string[];
  gamesPerFamily: number;
  seed: number;
  onlyAlgorithm: string;
}

/** Leave-one-family-out validation over the training families (bench/bots.ts --validate). */
export async function validate({
  arg,
  args,
  gamesPerFamily,
  seed,
  onlyAlgorithm,
}: ValidationOptions): Promise<void> {
  const events = Number(arg('events', '10000'));
  const overrides = parseOverrides(args('hp'));
  const rules = args('rule').map(parseRule);
  if (!rules.length) rules.push(DECISION_RULE);
  const algorithms = ALGORITHMS.filter((a) => onlyAlgorithm === 'all' || a === onlyAlgorithm);
  const order = arg('corpus-order', 'members') as 'members' | 'families';
  const reader = arg('corpus-reader', 'alternate') as 'alternate' | 'uniform' | 'mixture';
  if (!['members', 'families'].includes(order) || !['alternate', 'uniform', 'mixture'].includes(reader)) {
    throw new RangeError(
      `--corpus-order must be members|families and --corpus-reader alternate|uniform|mixture, got ${order}, ${reader}`,
    );
  }
  const mask = arg('mask', '').split(',').filter(Boolean);
  const set = maskedSet(mask);
  const label = (r: DecisionRule) => `${r.temperature},${r.readTemperature},${r.trustStart},${r.trustScale}`;
  // rule → algorithm → left-out family → bot win rate
  const rates: Record<string, Record<string, Record<string, number>>> = {};
  for (const r of rules) rates[label(r)] = Object.fromEntries(algorithms.map((a) => [a, {}]));
  for (const [k, family] of TRAINING_FAMILIES.entries()) {
    const games = corpusWithout(family, events, seed, order, reader);
    for (const algorithm of algorithms) {
      const { model, seconds } = await fit(games, set, algorithm, overrides[algorithm], seed);
      for (const r of rules)
        rates[label(r)]![algorithm]![family] = await winRate(
          model,
          set,
          family,
          seed * 1000 + k,
          gamesPerFamily,
          r,
        );
      await model.release();
      const line = rules.map(
        (r) => `${label(r)}: ${(rates[label(r)]![algorithm]![family]! * 100).toFixed(0)}%`,
      );
      console.log(
        `without ${family.padEnd(20)} ${algorithm.padEnd(8)} trained in ${seconds.toFixed(1)} s; ${line.join(', ')}`,
      );
    }
  }
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  const summary: Record<string, unknown> = {};
  for (const r of rules) {
    const byAlgorithm: Record<string, { worst: number; mean: number }> = {};
    const all: number[] = [];
    for (const algorithm of algorithms) {
      const v = Object.values(rates[label(r)]![algorithm]!);
      all.push(...v);
      byAlgorithm[algorithm] = {
        worst: round3(Math.min(...v)),
        mean: round3(v.reduce((a, b) => a + b, 0) / v.length),
      };
      console.log(
        `rule ${label(r)} ${algorithm.padEnd(8)} worst ${byAlgorithm[algorithm].worst}, mean ${byAlgorithm[algorithm].mean}`,
      );
    }
    summary[label(r)] = {
      ...byAlgorithm,
      worst: round3(Math.min(...all)),
      mean: round3(all.reduce((a, b) => a + b, 0) / all.length),
    };
  }
  console.log(
    JSON.stringify({
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      validation: 'leave-one-training-family-out',
      gamesPerFamily,
      events,
      corpus: { order, reader },
      mask,
      seed,
      hyperparameters: overrides,
      summary,
      table: rates,
    }),
  );
}
