import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.ts';

/** A preHandler that admits only `Authorization: Bearer <token>` (the internal token from a Secret). */
export function requireBearer(token: string | null) {
  const expected = token === null ? null : Buffer.from(token);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (expected === null) {
      throw new HttpError(503, 'internal endpoints are disabled: the server has no RPS_INTERNAL_TOKEN');
    }
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(401, `${req.url.split('?')[0]} requires an "Authorization: Bearer <token>" header`);
    }
    const given = Buffer.from(m[1]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(403, 'the bearer token is not valid');
    }
  };
}
