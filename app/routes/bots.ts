import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BotsReplySchema } from '../../core/index.ts';
import type { Store } from '../db/store.ts';
import type { ModelRegistry } from '../serving/model-registry.ts';

export interface BotsRoutesOptions {
  registry: ModelRegistry;
  store: Store;
  rateLimit: { max: number; timeWindow: string };
}

/** GET /api/v1/bots: the bots with their public win rates (games against human players). */
export const botsRoutes: FastifyPluginAsyncTypebox<BotsRoutesOptions> = async (
  app,
  { registry, store, rateLimit },
) => {
  app.get(
    '/api/v1/bots',
    { config: { rateLimit }, schema: { response: { 200: BotsReplySchema } } },
    async () => {
      const records = await store.botRecords();
      return {
        bots: registry.list().map((b) => {
          const r = records.get(b.model) ?? { games: 0, botWins: 0, playerWins: 0, ties: 0 };
          return { ...b, ...r, winRate: r.games ? r.botWins / r.games : null };
        }),
      };
    },
  );
};
