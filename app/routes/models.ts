import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ModelsReplySchema } from '../../core/index.ts';
import type { ModelRegistry } from '../serving/model-registry.ts';

export interface ModelsRoutesOptions {
  registry: ModelRegistry;
  rateLimit: { max: number; timeWindow: string };
}

/** GET /api/v1/models: what every bot actually serves, per alias (the operator's `Served` condition reads it). */
export const modelsRoutes: FastifyPluginAsyncTypebox<ModelsRoutesOptions> = async (
  app,
  { registry, rateLimit },
) => {
  app.get(
    '/api/v1/models',
    { config: { rateLimit }, schema: { response: { 200: ModelsReplySchema } } },
    async () => ({ models: registry.report() }),
  );
};
