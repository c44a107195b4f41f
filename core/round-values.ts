import { createHash } from 'node:crypto';
import { MOVES, beats, type Move } from './moves.ts';

export type RoundValues = { rock: number; paper: number; scissors: number };

function firstTwoBytes(text: string): number {
  const digest = createHash('sha256').update(text, 'utf8').digest();
  return (digest[0]! << 8) | digest[1]!;
}

/**
 * The three move values of one round, deterministic per (game id, round) as GAME.md specifies.
 * Computed in tenths so that "round half-up to one decimal" is exact.
 */
export function roundValues(gameId: string, round: number): RoundValues {
  if (typeof gameId !== 'string' || gameId.length === 0) {
    throw new RangeError(`roundValues: game id must be a non-empty string, got ${JSON.stringify(gameId)}`);
  }
  if (!Number.isInteger(round) || round < 1) {
    throw new RangeError(`roundValues: round must be an integer >= 1, got ${String(round)}`);
  }
  const low = MOVES[firstTwoBytes(`${gameId}:${round}:low`) % 3]!;
  const baseTenths = 11 + (firstTwoBytes(`${gameId}:${round}:base`) % 5);
  const high = beats(low);
  const tenths: Record<Move, number> = { rock: baseTenths, paper: baseTenths, scissors: baseTenths };
  tenths[low] = 10;
  tenths[high] = baseTenths + 5;
  return { rock: tenths.rock / 10, paper: tenths.paper / 10, scissors: tenths.scissors / 10 };
}

/** Moves ordered [highest, middle, lowest] by value; equal values keep the order rock > paper > scissors. */
export function rankedMoves(values: RoundValues): [Move, Move, Move] {
  const [a, b, c] = [...MOVES].sort((x, y) => values[y] - values[x]) as [Move, Move, Move];
  return [a, b, c];
}

/** The highest-valued move of a round (ties rock > paper > scissors). */
export function highestMove(values: RoundValues): Move {
  let best: Move = 'rock';
  if (values.paper > values[best]) best = 'paper';
  if (values.scissors > values[best]) best = 'scissors';
  return best;
}
