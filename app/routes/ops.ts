import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthReplySchema, METRICS_CONTENT_TYPE, ReadyReplySchema } from '../../core/index.ts';
import type { Store } from '../db/store.ts';
import type { AppMetrics } from '../metrics.ts';

export interface OpsRoutesOptions {
  store: Store;
  metrics: AppMetrics;
  /** true once the first manifest scan has been applied */
  isReady: () => boolean;
}

/** Liveness, readiness and Prometheus metrics (core's HealthReply, ReadyReply and MetricsReply). */
export const opsRoutes: FastifyPluginAsyncTypebox<OpsRoutesOptions> = async (
  app,
  { store, metrics, isReady },
) => {
  app.get('/healthz', { schema: { response: { 200: HealthReplySchema } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/readyz',
    { schema: { response: { 200: ReadyReplySchema, 503: ReadyReplySchema } } },
    async (_req, reply) => {
      if (!isReady()) return reply.code(503).send({ status: 'loading', message: 'models are still loading' });
      try {
        await store.ping();
      } catch (err) {
        return reply
          .code(503)
          .send({ status: 'unavailable', message: `database: ${(err as Error).message}` });
      }
      return { status: 'ready' as const };
    },
  );

  // text, not JSON: no response schema for fastify to serialize with
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', METRICS_CONTENT_TYPE);
    return metrics.registry.metrics();
  });
};
