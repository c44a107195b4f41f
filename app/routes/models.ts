import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ModelRegistry } from '../serving/model-registry.ts';

const AliasReport = Type.Object({ version: Type.String(), sha256: Type.String(), loaded: Type.Boolean() });

export const ModelsReply = Type.Object({
  models: Type.Array(
    Type.Object({
      model: Type.String(),
      displayName: Type.String(),
      algorithm: Type.String(),
      manifest: Type.Union([Type.Literal('present'), Type.Literal('absent')]),
      fallback: Type.Boolean({ description: 'true: no model loaded, the bot plays uniform-probability EV' }),
      trafficSplit: Type.Object({ Production: Type.Number(), B: Type.Number() }),
      aliases: Type.Object({
        Production: Type.Optional(AliasReport),
        B: Type.Optional(AliasReport),
        Shadow1: Type.Optional(AliasReport),
        Shadow2: Type.Optional(AliasReport),
      }),
      lastError: Type.Optional(Type.String()),
    }),
  ),
});

export interface ModelsRoutesOptions {
  registry: ModelRegistry;
  rateLimit: { max: number; timeWindow: string };
}

/** GET /api/v1/models: what every bot actually serves, per alias (the operator's `Served` condition reads it). */
export const modelsRoutes: FastifyPluginAsync<ModelsRoutesOptions> = async (app, { registry, rateLimit }) => {
  app.get(
    '/api/v1/models',
    { config: { rateLimit }, schema: { response: { 200: ModelsReply } } },
    async () => ({
      models: registry.report(),
    }),
  );
};
