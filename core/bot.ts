import { moveIndex, type Move } from './moves.ts';
import type { RoundValues } from './round-values.ts';
import type { GameState } from './game.ts';
import { OPENING_ROUNDS, gambitMove } from './gambits.ts';
import {
  DECISION_TEMPERATURE,
  READ_TEMPERATURE,
  READ_WINDOW,
  TRUST_SCALE,
  TRUST_START,
  decideMove,
  decisionTemperature,
  isUsableProbabilities,
  predictionTrust,
  sampleMove,
  type Probabilities,
} from './expected-value.ts';
import { featureSet, type FeatureSet } from './feature-sets.ts';

/** A model: raw features in, probabilities of the player's move out; null when it cannot predict. */
export type Predictor = (features: Float32Array) => Probabilities | null;

export interface BotMove {
  move: Move;
  /** true when the predictor gave nothing usable and the uniform probabilities were used */
  fallback: boolean;
  /** what the predictor returned (null in opening rounds and on fallback) */
  probabilities: Probabilities | null;
}

/** What the playing model predicted for an earlier round of the game. */
export interface PastPrediction {
  round: number;
  probabilities: Probabilities;
}

export interface BotMoveOptions {
  /** the playing version's feature set (default rps-features/v1): its features and decision rule */
  featureSet?: FeatureSet;
  /** draws the sampled rule's move (required by feature sets whose rule samples) */
  random?: () => number;
  /**
   * The playing model's predictions of this game's earlier rounds: the sampled rule trusts the
   * model as far as they beat chance (`predictionTrust`). Absent: full trust.
   */
  pastPredictions?: readonly PastPrediction[];
  /** the sampled rule's constants (default `DECISION_RULE`); bench/bots.ts --validate compares others */
  rule?: DecisionRule;
}

/** The constants of the sampled EV rule (docs/bots.md, the decision rule). */
export interface DecisionRule {
  temperature: number;
  readTemperature: number;
  trustStart: number;
  trustScale: number;
}

export const DECISION_RULE: DecisionRule = Object.freeze({
  temperature: DECISION_TEMPERATURE,
  readTemperature: READ_TEMPERATURE,
  trustStart: TRUST_START,
  trustScale: TRUST_SCALE,
});

const V1 = featureSet('rps-features/v1');

/**
 * The bot's move for `round`, decided from the earlier rounds in `state` only: the game's gambit
 * in the opening rounds, then the feature set's EV rule on the predictor's probabilities (greedy
 * for v1, sampled for v2). A predictor that throws counts as a failed model (fallback).
 */
export function botMove(
  state: GameState,
  round: number,
  values: RoundValues,
  predictor: Predictor,
  options: BotMoveOptions = {},
): BotMove {
  const set = options.featureSet ?? V1;
  if (round >= 1 && round <= OPENING_ROUNDS) {
    return {
      move: gambitMove(state.gambit, round as 1 | 2 | 3, values),
      fallback: false,
      probabilities: null,
    };
  }
  let p: Probabilities | null;
  try {
    p = predictor(set.features(state.rounds, round, values));
  } catch {
    p = null;
  }
  const usable = isUsableProbabilities(p) ? p : null;
  if (set.decision === 'sampled') {
    if (!options.random)
      throw new Error(`the ${set.name} decision rule samples: botMove needs a random source`);
    const recent = state.rounds
      .filter((r) => r.round > OPENING_ROUNDS && r.round < round)
      .slice(-READ_WINDOW)
      .map((r) => r.result);
    const rule = options.rule ?? DECISION_RULE;
    const temperature = decisionTemperature(recent, rule.temperature, rule.readTemperature);
    let trust = 1;
    if (options.pastPredictions) {
      const played = new Map(state.rounds.map((r) => [r.round, r.playerMove]));
      trust = predictionTrust(
        [...options.pastPredictions]
          .filter((p) => p.round < round && played.has(p.round))
          .sort((a, b) => a.round - b.round)
          .map((p) => ({ probabilities: p.probabilities, actual: moveIndex(played.get(p.round)!) })),
        rule.trustStart,
        rule.trustScale,
      );
    }
    const d = sampleMove(
      usable,
      values,
      state.botScore,
      state.playerScore,
      options.random,
      temperature,
      trust,
    );
    return { move: d.move, fallback: d.fallback, probabilities: usable };
  }
  const decision = decideMove(usable, values, state.botScore, state.playerScore);
  return { move: decision.move, fallback: decision.fallback, probabilities: usable };
}

/** A predictor that always answers the uniform distribution (the cold-start bot). */
export const uniformPredictor: Predictor = () => [1 / 3, 1 / 3, 1 / 3];
