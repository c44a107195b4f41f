import { beats, isMove, type Move } from './moves.ts';
import { roundValues, type RoundValues } from './round-values.ts';
import type { GambitName } from './gambits.ts';

export type RoundResult = 'win' | 'lose' | 'draw'; // from the player's side

export interface PlayedRound {
  round: number;
  playerMove: Move;
  botMove: Move;
  values: RoundValues;
  result: RoundResult;
  /** scores after this round */
  playerScore: number;
  botScore: number;
}

export type Winner = 'player' | 'bot' | 'tie';

export interface GameState {
  gameId: string;
  gambit: GambitName;
  rounds: PlayedRound[];
  playerScore: number;
  botScore: number;
  finished: boolean;
  winner: Winner | null;
}

export const WIN_SCORE = 10;
/** A score this close to WIN_SCORE counts as WIN_SCORE. */
export const SCORE_EPSILON = 1e-6;
export const DRAW_POINTS = 0.5;

export type GameErrorCode = 'GAME_FINISHED' | 'ROUND_OUT_OF_ORDER' | 'INVALID_MOVE';

export class GameError extends Error {
  readonly code: GameErrorCode;
  constructor(code: GameErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

export class GameFinishedError extends GameError {
  constructor(gameId: string) {
    super('GAME_FINISHED', `game ${gameId} is finished and accepts no more moves`);
  }
}

export class RoundOutOfOrderError extends GameError {
  readonly expected: number;
  readonly got: number;
  constructor(expected: number, got: number) {
    super('ROUND_OUT_OF_ORDER', `round ${String(got)} is out of order; the next round is ${expected}`);
    this.expected = expected;
    this.got = got;
  }
}

export class InvalidMoveError extends GameError {
  readonly move: unknown;
  constructor(move: unknown, side: 'player' | 'bot' = 'player') {
    super('INVALID_MOVE', `invalid ${side} move ${JSON.stringify(move)}; allowed: rock, paper, scissors`);
    this.move = move;
  }
}

/** Hit points shown in the UI: each side starts at 100 and loses 10 per point the opponent scores. */
export function hp(opponentScore: number): number {
  return Math.round((100 - 10 * opponentScore) * 1e6) / 1e6;
}

export function newGame(gameId: string, gambit: GambitName): GameState {
  return { gameId, gambit, rounds: [], playerScore: 0, botScore: 0, finished: false, winner: null };
}

/** Who won the round, from the player's side. */
export function roundResult(playerMove: Move, botMove: Move): RoundResult {
  if (playerMove === botMove) return 'draw';
  return beats(playerMove) === botMove ? 'win' : 'lose';
}

// Scores are sums of tenths and halves: keep them on the tenth grid so no float drift accumulates.
function addPoints(score: number, points: number): number {
  return Math.round((score + points) * 10) / 10;
}

function reachedWin(score: number): boolean {
  return score >= WIN_SCORE - SCORE_EPSILON;
}

/**
 * Plays one round and returns the next state (the input is not changed).
 * The first side to reach 10 points wins; if both reach 10 in the same round (only on a draw) the
 * higher score wins and equal scores are a tie. Stored scores are clamped to exactly 10.
 */
export function playRound(state: GameState, round: number, playerMove: Move, botMove: Move): GameState {
  if (state.finished) throw new GameFinishedError(state.gameId);
  const expected = state.rounds.length + 1;
  if (round !== expected) throw new RoundOutOfOrderError(expected, round);
  if (!isMove(playerMove)) throw new InvalidMoveError(playerMove, 'player');
  if (!isMove(botMove)) throw new InvalidMoveError(botMove, 'bot');

  const values = roundValues(state.gameId, round);
  const result = roundResult(playerMove, botMove);
  let playerScore = state.playerScore;
  let botScore = state.botScore;
  if (result === 'win') playerScore = addPoints(playerScore, values[playerMove]);
  else if (result === 'lose') botScore = addPoints(botScore, values[botMove]);
  else {
    playerScore = addPoints(playerScore, DRAW_POINTS);
    botScore = addPoints(botScore, DRAW_POINTS);
  }

  const playerDone = reachedWin(playerScore);
  const botDone = reachedWin(botScore);
  let winner: Winner | null = null;
  if (playerDone && botDone) {
    winner = playerScore > botScore ? 'player' : botScore > playerScore ? 'bot' : 'tie';
  } else if (playerDone) winner = 'player';
  else if (botDone) winner = 'bot';
  if (playerDone) playerScore = WIN_SCORE;
  if (botDone) botScore = WIN_SCORE;

  const played: PlayedRound = { round, playerMove, botMove, values, result, playerScore, botScore };
  return {
    gameId: state.gameId,
    gambit: state.gambit,
    rounds: [...state.rounds, played],
    playerScore,
    botScore,
    finished: winner !== null,
    winner,
  };
}
