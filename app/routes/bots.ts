import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../db/store.ts';
import type { ModelRegistry } from '../serving/model-registry.ts';

export const BotsReply = Type.Object({
  bots: Type.Array(
    Type.Object({
      model: Type.String(),
      displayName: Type.String(),
      algorithm: Type.String(),
      games: Type.Integer({ description: 'finished games against human players' }),
      botWins: Type.Integer(),
      playerWins: Type.Integer(),
      ties: Type.Integer(),
      winRate: Type.Union([Type.Number(), Type.Null()], { description: 'bot wins / finished human games' }),
    }),
  ),
});

export interface BotsRoutesOptions {
  registry: ModelRegistry;
  store: Store;
  rateLimit: { max: number; timeWindow: string };
}

/** GET /api/v1/bots: the bots with their public win rates (games against human players). */
export const botsRoutes: FastifyPluginAsync<BotsRoutesOptions> = async (
  app,
  { registry, store, rateLimit },
) => {
  app.get('/api/v1/bots', { config: { rateLimit }, schema: { response: { 200: BotsReply } } }, async () => {
    const records = await store.botRecords();
    return {
      bots: registry.list().map((b) => {
        const r = records.get(b.model) ?? { games: 0, botWins: 0, playerWins: 0, ties: 0 };
        return { ...b, ...r, winRate: r.games ? r.botWins / r.games : null };
      }),
    };
  });
};
