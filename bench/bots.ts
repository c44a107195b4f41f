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
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import {
  ADAPTIVE_FAMILY,
  ALGORITHMS,
  HELD_OUT_FAMILIES,
  OPENING_ROUNDS,
  PREDICTABLE_FAMILIES,
  SYNTHETIC_PLAYER_NAMES,
  TRAINING_FAMILIES,
  botMove,
  createSyntheticPlayer,
  drawGambit,
  DECISION_RULE,
  coldStartCorpus,
  featureSet,
  newGame,
  playRound,
  roundValues,
  seededRandom,
  simulateGame,
  uniformPredictor,
  zooMembers,
  type Algorithm,
  type DecisionRule,
  type FeatureSet,
  type FeatureSetName,
  type PastPrediction,
  type PlayerStrategy,
  type Probabilities,
  type StrategyFamily,
  type TrainingFamily,
} from '../core/index.ts';
import { OnnxModel } from '../app/serving/onnx-model.ts';
import { resolveHyperparameters, type HyperparametersOf } from '../trainer/hyperparameters.ts';
import { buildDataset, type DatasetGame } from '../trainer/dataset.ts';
import { splitRows, trainAlgorithm } from '../trainer/train.ts';

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
  return fit(games, config.featureSet, config.algorithm, config.hyperparameters, config.seed);
}

/** Trains one algorithm on `games`, exports it to ONNX and loads it as the game server does. */
async function fit(
  games: readonly DatasetGame[],
  setName: FeatureSetName,
  algorithm: Algorithm,
  hyperparameters: Record<string, unknown>,
  fitSeed: number,
): Promise<{ model: OnnxModel; seconds: number; accuracy: number }> {
  const set = featureSet(setName);
  const started = performance.now();
  const { rows } = splitRows(games, set);
  const hp = resolveHyperparameters(algorithm, hyperparameters) as HyperparametersOf<Algorithm>;
  const trained = await trainAlgorithm(algorithm, hp, rows.train, rows.validation, fitSeed);
  const seconds = (performance.now() - started) / 1000;
  const p = await trained.predict(rows.test.x, rows.test.rows);
  let correct = 0;
  for (let i = 0; i < rows.test.rows; i++) {
    let best = 0;
    for (let m = 1; m < 3; m++) if (p[i * 3 + m]! > p[i * 3 + best]!) best = m;
    if (best === rows.test.y[i]) correct++;
  }
  const bytes = trained.toOnnx({ model: 'bench', version: 'v1', algorithm, featureSet: set.name });
  const model = await OnnxModel.load(bytes, 'v1', 'bench', set);
  return { model, seconds, accuracy: correct / rows.test.rows };
}

/** One game as the app plays it: gambit, then each round the model's prediction and the set's rule. */
async function play(
  model: OnnxModel,
  set: FeatureSet,
  player: PlayerStrategy,
  gameId: string,
  random: () => number,
  rule: DecisionRule,
): Promise<'bot' | 'player' | 'tie'> {
  let state = newGame(gameId, drawGambit(random));
  const past: PastPrediction[] = [];
  for (let round = 1; !state.finished && round <= 100; round++) {
    const values = roundValues(gameId, round);
    let p: Probabilities | null = null;
    if (round > OPENING_ROUNDS) p = await model.predict(set.features(state.rounds, round, values));
    const bot = botMove(state, round, values, () => p, {
      featureSet: set,
      random,
      pastPredictions: past,
      rule,
    });
    if (p) past.push({ round, probabilities: p });
    const move = player.next({
      round,
      values,
      previous: state.rounds,
      playerScore: state.playerScore,
      botScore: state.botScore,
    });
    state = playRound(state, round, move, bot.move);
  }
  return state.winner ?? (state.botScore > state.playerScore ? 'bot' : 'player');
}

async function winRate(
  model: OnnxModel,
  set: FeatureSet,
  family: StrategyFamily,
  runSeed: number,
  rule: DecisionRule = DECISION_RULE,
): Promise<number> {
  const members = zooMembers({ family });
  const random = seededRandom(runSeed);
  const games = await Promise.all(
    Array.from({ length: gamesPerFamily }, (_, i) => {
      const member = members[i % members.length]!;
      const gameRandom = seededRandom(Math.floor(random() * 2 ** 32));
      return play(
        model,
        set,
        member.create(seededRandom(Math.floor(random() * 2 ** 32))),
        `bench-${family}-${i}`,
        gameRandom,
        rule,
      );
    }),
  );
  return games.filter((w) => w === 'bot').length / games.length;
}

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

/** The cold-start corpus without one training family: at least `events` rounds. */
function corpusWithout(family: TrainingFamily, events: number, corpusSeed: number): DatasetGame[] {
  const families = TRAINING_FAMILIES.filter((f) => f !== family);
  const out: DatasetGame[] = [];
  let total = 0;
  const order = arg('corpus-order', 'members') as 'members' | 'families';
  const reader = arg('corpus-reader', 'alternate') as 'alternate' | 'uniform' | 'mixture';
  if (!['members', 'families'].includes(order) || !['alternate', 'uniform', 'mixture'].includes(reader)) {
    throw new RangeError(
      `--corpus-order must be members|families and --corpus-reader alternate|uniform|mixture, got ${order}, ${reader}`,
    );
  }
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

/** Leave-one-family-out validation over the training families (see the header). */
async function validate(): Promise<void> {
  const events = Number(arg('events', '10000'));
  const overrides = parseOverrides(args('hp'));
  const rules = args('rule').map(parseRule);
  if (!rules.length) rules.push(DECISION_RULE);
  const algorithms = ALGORITHMS.filter((a) => onlyAlgorithm === 'all' || a === onlyAlgorithm);
  const label = (r: DecisionRule) => `${r.temperature},${r.readTemperature},${r.trustStart},${r.trustScale}`;
  // rule → algorithm → left-out family → bot win rate
  const rates: Record<string, Record<string, Record<string, number>>> = {};
  for (const r of rules) rates[label(r)] = Object.fromEntries(algorithms.map((a) => [a, {}]));
  for (const [k, family] of TRAINING_FAMILIES.entries()) {
    const games = corpusWithout(family, events, seed);
    for (const algorithm of algorithms) {
      const { model, seconds } = await fit(games, 'rps-features/v2', algorithm, overrides[algorithm], seed);
      const set = featureSet('rps-features/v2');
      for (const r of rules)
        rates[label(r)]![algorithm]![family] = await winRate(model, set, family, seed * 1000 + k, r);
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
      corpus: { order: arg('corpus-order', 'members'), reader: arg('corpus-reader', 'alternate') },
      seed,
      hyperparameters: overrides,
      summary,
      table: rates,
    }),
  );
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
      row[family] = await winRate(model, set, family, seed * 1000 + families.indexOf(family));
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

if (validation) await validate();
else await measure();
