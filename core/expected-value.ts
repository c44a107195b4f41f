import { MOVES, beatenBy, beats, moveIndex, type Move } from './moves.ts';
import type { RoundValues } from './round-values.ts';
import { SCORE_EPSILON, WIN_SCORE } from './game.ts';

/** Predicted probabilities of the player's move, in rock, paper, scissors order. */
export type Probabilities = readonly [number, number, number];

export const UNIFORM: Probabilities = Object.freeze([1 / 3, 1 / 3, 1 / 3] as const);

/** Added to the gain of a move that would end the game, and to the loss of one that would lose it. */
export const TERMINAL_BONUS = 10;

export interface Decision {
  move: Move;
  /** expected value of rock, paper, scissors for the bot */
  ev: [number, number, number];
  /** true when no usable probabilities were given and the uniform ones were used */
  fallback: boolean;
}

/** Three finite non-negative numbers with a positive sum; anything else is a failed prediction. */
export function isUsableProbabilities(p: unknown): p is Probabilities {
  if (p === null || typeof p !== 'object') return false;
  const a = p as ArrayLike<unknown>;
  if (a.length !== 3) return false;
  let sum = 0;
  for (let i = 0; i < 3; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return false;
    sum += v;
  }
  return sum > 0;
}

/** EV of bot move `m` against player probabilities `p` (GAME.md "Decision rule"). */
export function expectedValue(
  m: Move,
  p: Probabilities,
  values: RoundValues,
  botScore: number,
  playerScore: number,
): number {
  const beaten = beats(m);
  const beater = beatenBy(m);
  const dUs = values[m];
  const dThem = values[beater];
  const winBonus = botScore + dUs >= WIN_SCORE - SCORE_EPSILON ? TERMINAL_BONUS : 0;
  const losePenalty = playerScore + dThem >= WIN_SCORE - SCORE_EPSILON ? TERMINAL_BONUS : 0;
  return (
    p[moveIndex(beaten)] * (dUs + winBonus) -
    p[moveIndex(beater)] * (dThem + losePenalty) +
    (p[moveIndex(m)] * 0.5 * (botScore - playerScore)) / WIN_SCORE
  );
}

/**
 * The bot's greedy expected-value move. Ties go to the first of rock, paper, scissors.
 * `p` null (no model, or the model failed) or unusable → uniform probabilities and fallback = true.
 */
export function decideMove(
  p: Probabilities | null,
  values: RoundValues,
  botScore: number,
  playerScore: number,
): Decision {
  const fallback = !isUsableProbabilities(p);
  const probabilities = fallback ? UNIFORM : p;
  const ev: [number, number, number] = [0, 0, 0];
  let best = 0;
  for (let i = 0; i < 3; i++) {
    ev[i] = expectedValue(MOVES[i]!, probabilities, values, botScore, playerScore);
    if (ev[i]! > ev[best]!) best = i;
  }
  return { move: MOVES[best]!, ev, fallback };
}
