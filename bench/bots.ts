// How hard the bots are to beat for players they never trained on. Each algorithm with its
// default hyperparameters, and each sample of config/samples as `make dev` trains it, is trained
// on the cold-start corpus (the strategy zoo's training families only), exported to ONNX and then
// plays, in process through the served code path (onnxruntime-node, the feature set's decision
// rule), at least --games games against every held-out family. The starting line — v1 models as
// they were trained before the zoo (the eight scripted players against the greedy uniform bot,
// rps-features/v1, greedy rule) — is measured the same way. Prints one line per (bot, family),
// then one JSON object as the last line.
// Usage: npx tsx bench/bots.ts [--games 200] [--seed 7] [--only defaults|samples|v1]
//        [--algorithm mlp|gbdt|logistic] [--families held-out|training|all] ([--training] = all)
//
// --validate: leave-one-family-out over the TRAINING families only, to choose defaults without
// looking at the held-out families. For each training family F: the cold-start corpus without F
// (--events rounds), each algorithm trained on it with its defaults (overridden by --hp), then
// --games games (default 100 here) against F's members, under each --rule. Per (rule, algorithm):
// the worst and the mean over F. The held-out families are not played.
//        [--validate] [--events 10000] [--hp 'logistic:{"patience":8}']...
//        [--corpus-order members|families] [--corpus-reader alternate|uniform|mixture]
//        [--rule τ,readτ,trustStart,trustScale]... (default the committed constants)
//        [--mask none|evidence,scores,...] (v2 column groups the models do not read; default
//        the committed ones, V2_IGNORED_GROUPS)
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import {
  ADAPTIVE_FAMILY,
  ALGORITHMS,
  HELD_OUT_FAMILIES,
  PREDICTABLE_FAMILIES,
  SYNTHETIC_PLAYER_NAMES,
  TRAINING_FAMILIES,
  createSyntheticPlayer,
  featureSet,
  seededRandom,
  simulateGame,
  uniformPredictor,
  type Algorithm,
  type FeatureSetName,
  type StrategyFamily,
} from '../core/index.ts';
import type { OnnxModel } from '../app/serving/onnx-model.ts';
import { buildDataset, type DatasetGame } from '../trainer/dataset.ts';
import { fit, winRate } from './lib/bot-games.ts';
import { validate } from './lib/bots-validation.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** Every value given for a repeatable `--name`. */
function args(name: string): string[] {
  return process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1] ?? ''] : []));
}

const validation = process.argv.includes('--validate');
const gamesPerFamily = Number(arg('games', validation ? '100' : '200'));
const seed = Number(arg('seed', '7'));
const only = arg('only', 'all');
const withTraining = process.argv.includes('--training');
// tuning looks at the training families alone: --families training
const familyChoice = arg('families', withTraining ? 'all' : 'held-out');
const onlyAlgorithm = arg('algorithm', 'all');
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

interface BotConfig {
  name: string;
  group: 'defaults' | 'samples' | 'v1';
  algorithm: Algorithm;
  hyperparameters: Record<string, unknown>;
  featureSet: FeatureSetName;
  bootstrapGames: number;
  minTotalEvents: number;
  seed: number;
}

interface SampleSpec {
  metadata: { name: string };
  spec: {
    algorithm: Algorithm;
    featureSet?: FeatureSetName;
    hyperparameters?: Record<string, unknown>;
    training?: { bootstrapGames?: number; minTotalEvents?: number; seed?: number };
  };
}

function sampleConfigs(): BotConfig[] {
  return ['brian', 'forrest', 'logan'].map((name) => {
    const doc = parseYaml(
      readFileSync(path.join(root, 'config/samples', `rpsmodel-${name}.yaml`), 'utf8'),
    ) as SampleSpec;
    const t = doc.spec.training ?? {};
    return {
      name: `sample ${name}`,
      group: 'samples',
      algorithm: doc.spec.algorithm,
      hyperparameters: doc.spec.hyperparameters ?? {},
      featureSet: doc.spec.featureSet ?? 'rps-features/v2',
      bootstrapGames: t.bootstrapGames ?? 200,
      minTotalEvents: t.minTotalEvents ?? 1000,
      seed: t.seed ?? 42,
    };
  });
}

const configs: BotConfig[] = [
  ...ALGORITHMS.map((algorithm): BotConfig => ({
    name: `${algorithm} defaults`,
    group: 'defaults',
    algorithm,
    hyperparameters: {},
    featureSet: 'rps-features/v2',
    bootstrapGames: 800,
    minTotalEvents: 10_000,
    seed,
  })),
  ...sampleConfigs(),
  // the starting line: what the samples trained before the zoo, the v2 features and the sampled rule
  ...ALGORITHMS.map((algorithm): BotConfig => ({
    name: `${algorithm} v1 (before)`,
    group: 'v1',
    algorithm,
    hyperparameters: {},
    featureSet: 'rps-features/v1',
    bootstrapGames: 200,
    minTotalEvents: 1000,
    seed,
  })),
].filter(
  (c) => (only === 'all' || c.group === only) && (onlyAlgorithm === 'all' || c.algorithm === onlyAlgorithm),
);

/** The cold-start corpus v1 models were trained on: the eight scripted players against the greedy uniform bot. */
function legacyCorpus(games: number, corpusSeed: number, minEvents: number): DatasetGame[] {
  const random = seededRandom(corpusSeed);
  const out: DatasetGame[] = [];
  let events = 0;
  for (let i = 0; i < games && events < minEvents; i++) {
    const name = SYNTHETIC_PLAYER_NAMES[i % SYNTHETIC_PLAYER_NAMES.length]!;
    const g = simulateGame({
      gameId: `cold-start-${corpusSeed}-${i}`,
      player: createSyntheticPlayer(name, seededRandom(Math.floor(random() * 2 ** 32))),
      predictor: uniformPredictor,
      random,
    });
    out.push({
      gameId: g.gameId,
      source: 'cold-start',
      synthetic: true,
      player: name,
      rounds: g.rounds,
      events: [],
    });
    events += g.rounds.length;
  }
  return out;
}

async function train(config: BotConfig): Promise<{ model: OnnxModel; seconds: number; accuracy: number }> {
  const games =
    config.group === 'v1'
      ? legacyCorpus(config.bootstrapGames, config.seed, config.minTotalEvents)
      : buildDataset([], {
          maxEvents: 200_000,
          minTotalEvents: config.minTotalEvents,
          syntheticStride: 1,
          bootstrapGames: config.bootstrapGames,
          seed: config.seed,
        }).games;
  return fit(games, featureSet(config.featureSet), config.algorithm, config.hyperparameters, config.seed);
}

async function measure(): Promise<void> {
  const figures: Record<string, unknown> = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    gamesPerFamily,
    seed,
  };
  const table: Record<string, Record<string, number>> = {};
  const families: StrategyFamily[] = [
    ...(familyChoice === 'training' ? [] : HELD_OUT_FAMILIES),
    ...(familyChoice === 'held-out' ? [] : TRAINING_FAMILIES),
  ];
  for (const config of configs) {
    const set = featureSet(config.featureSet);
    const { model, seconds, accuracy } = await train(config);
    const row: Record<string, number> = {};
    for (const family of families)
      row[family] = await winRate(model, set, family, seed * 1000 + families.indexOf(family), gamesPerFamily);
    await model.release();
    table[config.name] = row;
    const line = families.map((f) => `${f} ${(row[f]! * 100).toFixed(0)}%`).join(', ');
    console.log(
      `${config.name.padEnd(22)} trained in ${seconds.toFixed(1)} s, accuracy ${(accuracy * 100).toFixed(1)} %: ${line}`,
    );
  }

  function minOver(groups: BotConfig['group'][], fams: readonly StrategyFamily[]): number | null {
    const values = configs
      .filter((c) => groups.includes(c.group))
      .flatMap((c) => fams.flatMap((f) => (table[c.name]![f] === undefined ? [] : [table[c.name]![f]!])));
    return values.length ? Math.round(Math.min(...values) * 1000) / 1000 : null;
  }

  const heldOutButMeta = HELD_OUT_FAMILIES.filter((f) => f !== ADAPTIVE_FAMILY);
  for (const [label, groups] of [
    ['', ['defaults', 'samples']],
    ['V1', ['v1']],
  ] as const) {
    if (familyChoice === 'training') {
      figures[`minWinRateTraining${label}`] = minOver([...groups], TRAINING_FAMILIES);
      continue;
    }
    figures[`minWinRateHeldOut${label}`] = minOver([...groups], heldOutButMeta);
    figures[`minWinRatePredictable${label}`] = minOver([...groups], PREDICTABLE_FAMILIES);
    figures[`minWinRateAdaptive${label}`] = minOver([...groups], [ADAPTIVE_FAMILY]);
    figures[`winRateRandom${label}`] = minOver([...groups], ['random']);
  }
  figures.table = table;
  console.log(JSON.stringify(figures));
}

if (validation) await validate({ arg, args, gamesPerFamily, seed, onlyAlgorithm });
else await measure();
