import type { Move } from './moves.ts';
import type { RoundValues } from './round-values.ts';
import type { GameState } from './game.ts';
import { OPENING_ROUNDS, gambitMove } from './gambits.ts';
import { features } from './features.ts';
import { decideMove, isUsableProbabilities, type Probabilities } from './expected-value.ts';

/** A model: raw features in, probabilities of the player's move out; null when it cannot predict. */
export type Predictor = (features: Float32Array) => Probabilities | null;

export interface BotMove {
  move: Move;
  /** true when the predictor gave nothing usable and the uniform probabilities were used */
  fallback: boolean;
  /** what the predictor returned (null in opening rounds and on fallback) */
  probabilities: Probabilities | null;
}

/**
 * The bot's move for `round`, decided from the earlier rounds in `state` only: the game's gambit
 * in the opening rounds, then the EV rule on the predictor's probabilities. A predictor that throws
 * counts as a failed model (fallback).
 */
export function botMove(state: GameState, round: number, values: RoundValues, predictor: Predictor): BotMove {
  if (round >= 1 && round <= OPENING_ROUNDS) {
    return {
      move: gambitMove(state.gambit, round as 1 | 2 | 3, values),
      fallback: false,
      probabilities: null,
    };
  }
  let p: Probabilities | null;
  try {
    p = predictor(features(state.rounds, round, values));
  } catch {
    p = null;
  }
  const usable = isUsableProbabilities(p) ? p : null;
  const decision = decideMove(usable, values, state.botScore, state.playerScore);
  return { move: decision.move, fallback: decision.fallback, probabilities: usable };
}

/** A predictor that always answers the uniform distribution (the cold-start bot). */
export const uniformPredictor: Predictor = () => [1 / 3, 1 / 3, 1 / 3];
