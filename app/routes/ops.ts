import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../db/store.ts';
import type { AppMetrics } from '../metrics.ts';

export interface OpsRoutesOptions {
  store: Store;
  metrics: AppMetrics;
  /** true once the first manifest scan has been applied */
  isReady: () => boolean;
}

/** Liveness, readiness and Prometheus metrics. */
export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, { store, metrics, isReady }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    if (!isReady()) return reply.code(503).send({ status: 'loading', message: 'models are still loading' });
    try {
      await store.ping();
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', message: `database: ${(err as Error).message}` });
    }
    return { status: 'ready' };
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
