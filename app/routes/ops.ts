import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../db/database.ts';
import type { AppMetrics } from '../metrics.ts';

export interface OpsRoutesOptions {
  db: Db;
  metrics: AppMetrics;
  /** true once the first manifest scan has been applied */
  isReady: () => boolean;
}

/** Liveness, readiness and Prometheus metrics. */
export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, { db, metrics, isReady }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    if (!isReady()) return reply.code(503).send({ status: 'loading', message: 'models are still loading' });
    try {
      db.prepare('SELECT 1').get();
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
