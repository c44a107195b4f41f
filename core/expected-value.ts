import { MOVES, beatenBy, beats, moveIndex, type Move } from './moves.ts';
import { weightedIndex } from './random.ts';
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

/**
 * How far from the best move the sampled rule strays: P(m) ∝ exp((EV(m) − max EV) / τ). At 0.1 a
 * move 0.3 points of expected damage worse than the best is played about one time in twenty
 * (chosen on the training families of the strategy zoo, bench/bots.ts --families training).
 */
export const DECISION_TEMPERATURE = 0.1;
/** Added to the temperature per unit of the player's lead in round wins over the last rounds. */
export const READ_TEMPERATURE = 0.3;
/** Model rounds looked back at to judge whether the player is reading the bot. */
export const READ_WINDOW = 6;

/**
 * Trust in the model before it has predicted any round of this game: full, so trust only falls
 * for a model that has done worse than chance on this player (chosen on the training families).
 */
export const TRUST_START = 1;
/** Trust gained per unit of the model's decayed log-likelihood gain over chance in this game. */
export const TRUST_SCALE = 0.5;
/** Weight of a prediction `k` model rounds back in that log-likelihood. */
export const TRUST_DECAY = 0.85;

/**
 * How much of the model's prediction the sampled rule keeps this round, from how well the playing
 * model predicted this player earlier in the game: TRUST_START plus TRUST_SCALE × Σ decay^age ·
 * ln(3 · p(move played)), clamped to [0, 1]. A model that has beaten chance on this player is
 * followed; one that has done worse gives way to the values (the uniform prediction), which a
 * player without a pattern cannot exploit.
 */
export function predictionTrust(
  past: readonly { probabilities: Probabilities; actual: number }[],
  start: number = TRUST_START,
  scale: number = TRUST_SCALE,
): number {
  let gain = 0;
  for (const { probabilities: p, actual } of past) {
    const sum = p[0] + p[1] + p[2];
    gain = gain * TRUST_DECAY + Math.log(Math.max(1e-6, (3 * p[actual as 0 | 1 | 2]) / sum));
  }
  return Math.min(1, Math.max(0, start + scale * gain));
}

export interface SampledDecision extends Decision {
  /** the probabilities the move was drawn from, rock, paper, scissors */
  policy: [number, number, number];
  temperature: number;
}

/**
 * The temperature for a round: `DECISION_TEMPERATURE`, raised while the player wins more of the
 * last `READ_WINDOW` rounds than it loses (a player who reads the bot meets a less readable one).
 * `recent` holds the player's results of those rounds; `base` and `read` default to the constants.
 */
export function decisionTemperature(
  recent: readonly ('win' | 'lose' | 'draw')[],
  base: number = DECISION_TEMPERATURE,
  read: number = READ_TEMPERATURE,
): number {
  if (recent.length === 0) return base;
  let lead = 0;
  for (const r of recent) lead += r === 'win' ? 1 : r === 'lose' ? -1 : 0;
  return base + read * Math.max(0, lead / recent.length);
}

/**
 * The sampled expected-value rule (`rps-features/v2` versions): the EV of each move as in
 * decideMove, then a move drawn with P(m) ∝ exp((EV(m) − max EV) / temperature). Near-equal moves
 * are played about equally often, clearly worse ones rarely, so a player who counts the bot's moves
 * learns little; with one clearly best move it is played almost always.
 */
export function sampleMove(
  p: Probabilities | null,
  values: RoundValues,
  botScore: number,
  playerScore: number,
  random: () => number,
  temperature: number = DECISION_TEMPERATURE,
  trust = 1,
): SampledDecision {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`temperature must be a positive finite number, got ${String(temperature)}`);
  }
  if (!(trust >= 0 && trust <= 1)) throw new RangeError(`trust must be in [0, 1], got ${String(trust)}`);
  let used: Probabilities | null = isUsableProbabilities(p) ? p : null;
  if (used && trust < 1) {
    const sum = used[0] + used[1] + used[2];
    const blend = (x: number) => (trust * x) / sum + (1 - trust) / 3;
    used = [blend(used[0]), blend(used[1]), blend(used[2])];
  }
  const greedy = decideMove(used, values, botScore, playerScore);
  const top = Math.max(...greedy.ev);
  const weights = greedy.ev.map((e) => Math.exp((e - top) / temperature));
  const total = weights[0]! + weights[1]! + weights[2]!;
  const policy: [number, number, number] = [weights[0]! / total, weights[1]! / total, weights[2]! / total];
  return { ...greedy, move: MOVES[weightedIndex(policy, random)]!, policy, temperature };
}
