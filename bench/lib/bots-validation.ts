// bench/bots.ts --validate: leave-one-family-out validation over the training families, to choose
// the bots' defaults without looking at the held-out families (docs/bots.md).
import { cpus } from 'node:os';
import {
  ALGORITHMS,
  DECISION_RULE,
  TRAINING_FAMILIES,
  V2_COLUMN_GROUPS,
  V2_IGNORED_GROUPS,
  coldStartCorpus,
  featureSet,
  v2Columns,
  type Algorithm,
  type DecisionRule,
  type FeatureSet,
  type TrainingFamily,
  type V2ColumnGroup,
} from '../../core/index.ts';
import { coldStartDatasetGame, type DatasetGame } from '../../trainer/dataset.ts';
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

/**
 * rps-features/v2 with the models reading all but the column groups in `groups` (`none`: all),
 * as the trainer does for the groups the set ignores (`V2_IGNORED_GROUPS`).
 */
function maskedSet(groups: string[]): FeatureSet {
  const set = featureSet('rps-features/v2');
  const names = groups.filter((g) => g !== 'none');
  const unknown = names.filter((g) => !Object.hasOwn(V2_COLUMN_GROUPS, g));
  if (unknown.length) {
    throw new RangeError(
      `--mask takes none or ${Object.keys(V2_COLUMN_GROUPS).join(', ')}; got ${unknown.join(', ')}`,
    );
  }
  return { ...set, ignored: v2Columns(names as V2ColumnGroup[]) };
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
    out.push(coldStartDatasetGame(g));
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
  const mask = arg('mask', V2_IGNORED_GROUPS.join(',')).split(',').filter(Boolean);
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
