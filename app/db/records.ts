// What the game server stores, as both stores (SQLite and PostgreSQL) read and write it.

import type {
  Alias,
  GambitName,
  InputMethod,
  Move,
  PlayedRound,
  Probabilities,
  Winner,
} from '../../core/index.ts';

export interface GameRecord {
  id: string;
  bot: string;
  gambit: GambitName;
  /** null when no model was served at start (the bot plays uniform EV) */
  alias: 'Production' | 'B' | null;
  version: string | null;
  player: string | null;
  synthetic: boolean;
  playerScore: number;
  botScore: number;
  roundsPlayed: number;
  finished: boolean;
  winner: Winner | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface StoredRound extends PlayedRound {
  id: number;
  fallback: boolean;
  input: InputMethod;
  createdAt: number;
}

export interface PredictionRecord {
  version: string;
  aliases: readonly Alias[];
  probabilities: Probabilities;
  predicted: Move;
  correct: boolean;
}

export interface MoveRecord {
  game: GameRecord;
  round: PlayedRound;
  input: InputMethod;
  fallback: boolean;
  predictions: readonly PredictionRecord[];
  finished: boolean;
  winner: Winner | null;
  at: number;
}

export interface BotRecord {
  games: number;
  botWins: number;
  playerWins: number;
  ties: number;
}

/** An alias of a bot started serving another version (`version` null: it stopped serving). */
export interface AliasChange {
  id: number;
  bot: string;
  alias: Alias;
  version: string | null;
  previous: string | null;
  at: number;
}

/** One background drift check of a bot (`score` null: nothing concluded). */
export interface DriftSample {
  /** epoch ms */
  t: number;
  version: string | null;
  score: number | null;
  drifted: boolean;
}

/** Finished games of one version in one time bucket (`bucket` counts from the start of the range). */
export interface GameBucket {
  version: string;
  bucket: number;
  games: number;
  botWins: number;
}

/** The move could not be stored: the round exists already or the game moved on meanwhile. */
export class MoveConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoveConflictError';
  }
}

/** The game is finished or at another round than the move's (its guarded score update changed nothing). */
export function notWaiting(m: MoveRecord): MoveConflictError {
  return new MoveConflictError(`game ${m.game.id} is no longer waiting for round ${m.round.round}`);
}

/** The move's round is stored already (the unique index on game and round refused it). */
export function storedAlready(m: MoveRecord): MoveConflictError {
  return new MoveConflictError(`round ${m.round.round} of game ${m.game.id} is stored already`);
}
