import { rankedMoves, type RoundValues } from './round-values.ts';
import type { Move } from './moves.ts';
import { weightedIndex } from './random.ts';

export type GambitName =
  | 'crescendo'
  | 'denouement'
  | 'paper-dolls'
  | 'fistful-of-dollars'
  | 'scissor-sandwich'
  | 'bureaucrat'
  | 'avalanche'
  | 'toolbox'
  | 'razor'
  | 'switchblade';

/** H = the highest-valued move of the round, M = the middle, L = the lowest. */
export type Rank = 'H' | 'M' | 'L';

export interface Gambit {
  name: GambitName;
  weight: number;
  ranks: readonly [Rank, Rank, Rank];
}

/** Rounds 1..OPENING_ROUNDS are played by the game's gambit; the model decides from the next round on. */
export const OPENING_ROUNDS = 3;

export const GAMBITS: readonly Gambit[] = Object.freeze([
  { name: 'crescendo', weight: 14, ranks: ['L', 'M', 'H'] },
  { name: 'denouement', weight: 12, ranks: ['H', 'M', 'L'] },
  { name: 'paper-dolls', weight: 12, ranks: ['L', 'M', 'M'] },
  { name: 'fistful-of-dollars', weight: 10, ranks: ['H', 'L', 'L'] },
  { name: 'scissor-sandwich', weight: 8, ranks: ['L', 'M', 'L'] },
  { name: 'bureaucrat', weight: 6, ranks: ['L', 'L', 'L'] },
  { name: 'avalanche', weight: 8, ranks: ['H', 'H', 'H'] },
  { name: 'toolbox', weight: 6, ranks: ['M', 'M', 'M'] },
  { name: 'razor', weight: 12, ranks: ['M', 'L', 'H'] },
  { name: 'switchblade', weight: 12, ranks: ['M', 'H', 'L'] },
] as const satisfies readonly Gambit[]);

export const GAMBIT_NAMES: readonly GambitName[] = Object.freeze(GAMBITS.map((g) => g.name));

export function isGambitName(x: unknown): x is GambitName {
  return typeof x === 'string' && (GAMBIT_NAMES as readonly string[]).includes(x);
}

/** Draws one gambit by weight with a single call of `random` (a source of floats in [0, 1)). */
export function drawGambit(random: () => number): GambitName {
  return GAMBITS[
    weightedIndex(
      GAMBITS.map((g) => g.weight),
      random,
    )
  ]!.name;
}

const RANK_INDEX: Readonly<Record<Rank, 0 | 1 | 2>> = { H: 0, M: 1, L: 2 };

/** The move of `rank` this round (ties of value broken rock > paper > scissors). */
export function moveOfRank(rank: Rank, values: RoundValues): Move {
  return rankedMoves(values)[RANK_INDEX[rank]];
}

export function gambitMove(gambit: GambitName, round: 1 | 2 | 3, values: RoundValues): Move {
  const g = GAMBITS.find((x) => x.name === gambit);
  if (!g)
    throw new RangeError(`unknown gambit ${JSON.stringify(gambit)}; allowed: ${GAMBIT_NAMES.join(', ')}`);
  const rank = g.ranks[round - 1];
  if (rank === undefined) throw new RangeError(`gambit round must be 1, 2 or 3, got ${String(round)}`);
  return moveOfRank(rank, values);
}
