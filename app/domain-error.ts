import type { GameErrorCode } from '../core/index.ts';

/** What went wrong, as clients read it in the error reply's `code` (core's game rules add theirs). */
export type DomainErrorCode =
  GameErrorCode | 'UNKNOWN_BOT' | 'GAME_NOT_FOUND' | 'INVALID_SYNTHETIC_PLAYER' | 'DATABASE_UNAVAILABLE';

/**
 * An error of the game server's domain: a code the error handler maps to an HTTP status, a message
 * saying what was wrong and what is allowed, and fields that go into the error reply as they are.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** extra fields of the error reply, e.g. the round a game expects */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
