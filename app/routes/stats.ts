import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { VersionStatsSchema } from '../../core/index.ts';
import type { Store } from '../db/store.ts';
import type { DriftMonitor } from '../drift-monitor.ts';
import { HttpError } from '../game-service.ts';
import { BotDriftSchema } from './dashboard.schemas.ts';
import { requireBearer } from './internal-auth.ts';

export const VersionStatsQuery = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 64 }),
  since: Type.Optional(
    Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 time or epoch ms' }),
  ),
  excludeSynthetic: Type.Optional(Type.Boolean({ default: false })),
});
type VersionStatsQuery = Static<typeof VersionStatsQuery>;

export const VersionStatsReply = Type.Object({
  model: Type.String(),
  since: Type.String(),
  excludeSynthetic: Type.Boolean(),
  finishedGames: Type.Integer({
    minimum: 0,
    description: 'finished games of the bot since, including those played before any version was served',
  }),
  versions: Type.Array(VersionStatsSchema),
});

export const DriftQuery = Type.Object({
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  excludeSynthetic: Type.Optional(Type.Boolean({ default: false })),
});
type DriftQuery = Static<typeof DriftQuery>;

export const DriftReplySchema = Type.Union([
  BotDriftSchema,
  Type.Object({ bots: Type.Array(BotDriftSchema) }),
]);

/** `since` as epoch ms: digits are epoch milliseconds, anything else must parse as an ISO 8601 time. */
export function parseSince(since: string | undefined): number {
  if (since === undefined) return 0;
  const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (!Number.isFinite(ms) || Number.isNaN(new Date(ms).getTime())) {
    throw new HttpError(
      400,
      `querystring/since must be an ISO 8601 time (e.g. 2025-01-31T12:00:00Z) or epoch milliseconds (got "${since}")`,
    );
  }
  return ms;
}

export interface StatsRoutesOptions {
  store: Store;
  drift: DriftMonitor;
  internalToken: string | null;
}

/**
 * GET /api/v1/stats/versions: per version results and prediction accuracy; GET /api/v1/stats/drift:
 * recent players against the Production version's training reference (both read by the operator).
 */
export const statsRoutes: FastifyPluginAsync<StatsRoutesOptions> = async (
  app,
  { store, drift, internalToken },
) => {
  app.get<{ Querystring: VersionStatsQuery }>(
    '/api/v1/stats/versions',
    {
      preHandler: requireBearer(internalToken),
      schema: { querystring: VersionStatsQuery, response: { 200: VersionStatsReply } },
    },
    async (req) => {
      const since = parseSince(req.query.since);
      const excludeSynthetic = req.query.excludeSynthetic ?? false;
      return {
        model: req.query.model,
        since: new Date(since).toISOString(),
        excludeSynthetic,
        finishedGames: await store.finishedGames(req.query.model, since, excludeSynthetic),
        versions: await store.versionStats(req.query.model, since, excludeSynthetic),
      };
    },
  );

  app.get<{ Querystring: DriftQuery }>(
    '/api/v1/stats/drift',
    {
      preHandler: requireBearer(internalToken),
      schema: { querystring: DriftQuery, response: { 200: DriftReplySchema } },
    },
    async (req) => {
      const excludeSynthetic = req.query.excludeSynthetic ?? false;
      if (req.query.model !== undefined) return drift.check(req.query.model, excludeSynthetic);
      return { bots: await drift.checkAll(excludeSynthetic) };
    },
  );
};
