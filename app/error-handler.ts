import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GameError, type ErrorReply } from '../core/index.ts';
import { DatabaseUnavailableError, ExportBusyError } from './db/store.ts';
import { DomainError, type DomainErrorCode } from './domain-error.ts';
import { HttpError } from './http-error.ts';
import { describeValidationError } from './validation-message.ts';

/** The one table from an error's code to the HTTP status it is answered with. */
export const ERROR_STATUS: Readonly<Record<DomainErrorCode | 'VALIDATION', number>> = {
  VALIDATION: 400,
  INVALID_MOVE: 400,
  INVALID_SYNTHETIC_PLAYER: 400,
  UNKNOWN_BOT: 404,
  GAME_NOT_FOUND: 404,
  GAME_FINISHED: 409,
  ROUND_OUT_OF_ORDER: 409,
  DATABASE_UNAVAILABLE: 503,
};

function send(
  reply: FastifyReply,
  statusCode: number,
  message: string,
  code?: string,
  details: Record<string, unknown> = {},
): FastifyReply {
  const body: ErrorReply = {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    ...(code ? { code } : {}),
    ...details,
  };
  return reply.code(statusCode).send(body);
}

/**
 * Every error as an ErrorReply, `{ statusCode, error, message, code?, ...details }`: schema
 * violations and domain errors by their code (ERROR_STATUS), HTTP-layer errors by their status;
 * anything else is a 500 whose details stay in the log.
 */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation) {
    return send(reply, ERROR_STATUS.VALIDATION, describeValidationError(err, req), 'VALIDATION');
  }
  if (err instanceof DatabaseUnavailableError) {
    req.log.warn({ err: err.message }, 'database unavailable');
    reply.header('retry-after', '1');
    return send(
      reply,
      ERROR_STATUS.DATABASE_UNAVAILABLE,
      'the game database is unavailable; retry shortly',
      'DATABASE_UNAVAILABLE',
    );
  }
  if (err instanceof ExportBusyError) {
    req.log.warn({ err: err.message }, 'export busy');
    reply.header('retry-after', '1');
    return send(reply, 503, err.message, 'EXPORT_BUSY');
  }
  if (err instanceof DomainError || err instanceof GameError) {
    const details = err instanceof DomainError ? err.details : {};
    return send(reply, ERROR_STATUS[err.code], err.message, err.code, details);
  }
  if (err instanceof HttpError) return send(reply, err.statusCode, err.message);
  const statusCode = err.statusCode ?? 500;
  if (statusCode >= 500) {
    req.log.error({ err }, 'request failed');
    return send(reply, statusCode, 'internal error');
  }
  return send(reply, statusCode, err.message);
}
