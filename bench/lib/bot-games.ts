// The pieces bench/bots.ts shares between its held-out measurement and its validation: a model
// trained and loaded as the game server loads it, and games played through the served code path.
import {
  DECISION_RULE,
  OPENING_ROUNDS,
  botMove,
  drawGambit,
  newGame,
  playRound,
  roundValues,
  seededRandom,
  zooMembers,
  type Algorithm,
  type DecisionRule,
  type FeatureSet,
  type PastPrediction,
  type PlayerStrategy,
  type Probabilities,
  type StrategyFamily,
} from '../../core/index.ts';
import { OnnxModel } from '../../app/serving/onnx-model.ts';
import { resolveHyperparameters, type HyperparametersOf } from '../../trainer/hyperparameters.ts';
import type { DatasetGame } from '../../trainer/dataset.ts';
import { splitRows, trainAlgorithm } from '../../trainer/train.ts';

/** Trains one algorithm on `games`, exports it to ONNX and loads it as the game server does. */
export async function fit(
  games: readonly DatasetGame[],
  set: FeatureSet,
  algorithm: Algorithm,
  hyperparameters: Record<string, unknown>,
  fitSeed: number,
): Promise<{ model: OnnxModel; seconds: number; accuracy: number }> {
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

/** The bot's win rate (a tie is not a win) in `games` seeded games against `family`'s members in turn. */
export async function winRate(
  model: OnnxModel,
  set: FeatureSet,
  family: StrategyFamily,
  runSeed: number,
  games: number,
  rule: DecisionRule = DECISION_RULE,
): Promise<number> {
  const members = zooMembers({ family });
  const random = seededRandom(runSeed);
  const results = await Promise.all(
    Array.from({ length: games }, (_, i) => {
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
  return results.filter((w) => w === 'bot').length / results.length;
}
