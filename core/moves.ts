export type Move = 'rock' | 'paper' | 'scissors';

/** How a player entered a move: a button, a key, or a gesture held in front of the camera. */
export type InputMethod = 'click' | 'key' | 'camera';
export const INPUT_METHODS: readonly InputMethod[] = Object.freeze(['click', 'key', 'camera'] as const);

/** Class order everywhere (tensors, one-hots, probabilities): rock=0, paper=1, scissors=2. */
export const MOVES: readonly Move[] = Object.freeze(['rock', 'paper', 'scissors'] as const);

const INDEX: Readonly<Record<Move, 0 | 1 | 2>> = { rock: 0, paper: 1, scissors: 2 };
const BEATS: Readonly<Record<Move, Move>> = { rock: 'scissors', paper: 'rock', scissors: 'paper' };
const BEATEN_BY: Readonly<Record<Move, Move>> = { rock: 'paper', paper: 'scissors', scissors: 'rock' };

export function moveIndex(m: Move): 0 | 1 | 2 {
  return INDEX[m];
}

export function isMove(x: unknown): x is Move {
  return x === 'rock' || x === 'paper' || x === 'scissors';
}

/** The move that `m` beats (rock -> scissors). */
export function beats(m: Move): Move {
  return BEATS[m];
}

/** The move that beats `m` (rock -> paper). */
export function beatenBy(m: Move): Move {
  return BEATEN_BY[m];
}
