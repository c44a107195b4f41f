import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ExportQuerySchema } from '../../core/index.ts';
import type { Store } from '../db/store.ts';
import { requireBearer } from './internal-auth.ts';

const PAGE = 1000;

export interface ExportRoutesOptions {
  store: Store;
  internalToken: string | null;
}

/**
 * GET /api/v1/export/events: NDJSON of played rounds with their game context, ordered by id, at most
 * `limit` after `since`. `X-Next-Since` is the cursor for the next page (unchanged when nothing is new).
 * The page's end is fixed before streaming, so rounds stored meanwhile go to the next page.
 */
export const exportRoutes: FastifyPluginAsyncTypebox<ExportRoutesOptions> = async (
  app,
  { store, internalToken },
) => {
  app.get(
    '/api/v1/export/events',
    { preHandler: requireBearer(internalToken), schema: { querystring: ExportQuerySchema } },
    async (req, reply) => {
      const since = req.query.since ?? 0;
      const limit = req.query.limit ?? 10_000;
      const until = await store.exportEnd(since, limit);
      reply
        .header('content-type', 'application/x-ndjson; charset=utf-8')
        .header('x-next-since', String(until ?? since))
        .header('cache-control', 'no-store');
      if (until === null) return reply.send('');
      async function* lines(): AsyncGenerator<string> {
        let after = since;
        while (after < until!) {
          const rows = await store.exportPage(after, until!, PAGE);
          if (!rows.length) break;
          yield rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
          after = rows[rows.length - 1]!.id;
        }
      }
      return reply.send(Readable.from(lines()));
    },
  );
};
