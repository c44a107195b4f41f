import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { dashboardData, type DashboardData } from '../dashboard.ts';
import type { Store } from '../db/store.ts';
import type { DriftMonitor } from '../drift-monitor.ts';
import type { ModelRegistry } from '../serving/model-registry.ts';
import { DashboardDataSchema } from '../../core/dashboard-api.ts';

export const DashboardQuery = Type.Object({
  excludeSynthetic: Type.Optional(Type.Boolean({ default: false })),
});

/** however many people watch, the data is computed at most this often */
const CACHE_MS = 2000;

export interface DashboardRoutesOptions {
  store: Store;
  registry: ModelRegistry;
  drift: DriftMonitor;
  clock: () => number;
}

/** GET /api/v1/dashboard: the live dashboard's data; public and read-only, so cached and rate-limited. */
export const dashboardRoutes: FastifyPluginAsyncTypebox<DashboardRoutesOptions> = async (
  app,
  { store, registry, drift, clock },
) => {
  const cache = new Map<boolean, { at: number; data: Promise<DashboardData> }>();
  app.get(
    '/api/v1/dashboard',
    {
      config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
      schema: { querystring: DashboardQuery, response: { 200: DashboardDataSchema } },
    },
    async (req, reply) => {
      const excludeSynthetic = req.query.excludeSynthetic ?? false;
      const now = clock();
      let entry = cache.get(excludeSynthetic);
      if (!entry || now - entry.at >= CACHE_MS) {
        entry = { at: now, data: dashboardData(store, registry, drift, now, excludeSynthetic) };
        cache.set(excludeSynthetic, entry);
        entry.data.catch(() => cache.delete(excludeSynthetic));
      }
      reply.header('cache-control', 'no-cache');
      return entry.data;
    },
  );
};
