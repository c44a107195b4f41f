import { Type, type Static } from '@sinclair/typebox';
import { AlgorithmSchema, AliasSchema } from './schemas.ts';

// GET /api/v1/dashboard: the response schema, and the types app/dashboard.ts builds and the browser
// code (app/public/dashboard*.js) reads through JSDoc (tsconfig.browser.json type-checks it).

const Shares = Type.Array(Type.Number(), { minItems: 3, maxItems: 3 });

/** One bot's drift (GET /api/v1/stats/drift?model=, and the dashboard's drift card). */
export const BotDriftSchema = Type.Object({
  model: Type.String(),
  version: Type.Union([Type.String(), Type.Null()]),
  drifted: Type.Boolean(),
  insufficientData: Type.Boolean(),
  score: Type.Number({ description: 'the largest PSI' }),
  threshold: Type.Number(),
  statistic: Type.Literal('psi'),
  rows: Type.Integer({ minimum: 0 }),
  referenceRows: Type.Integer({ minimum: 0, description: 'training rows of the reference (0 without one)' }),
  moveDistribution: Type.Object({
    reference: Shares,
    recent: Shares,
    psi: Type.Number(),
    chiSquare: Type.Number(),
    pValue: Type.Number(),
  }),
  features: Type.Array(Type.Object({ name: Type.String(), psi: Type.Number() })),
  meanShift: Type.Array(Type.Object({ name: Type.String(), z: Type.Number() }), {
    description: 'the five largest standardised mean shifts, largest first',
  }),
});
export type BotDrift = Static<typeof BotDriftSchema>;

const Version = Type.Union([Type.String(), Type.Null()]);
const EpochMs = Type.Number({ description: 'epoch milliseconds' });
const Count = Type.Integer({ minimum: 0 });

export const AccuracyPointSchema = Type.Object({
  t: Type.Number({ description: "epoch ms of the bucket's last prediction" }),
  accuracy: Type.Number(),
  predictions: Count,
});
export type AccuracyPoint = Static<typeof AccuracyPointSchema>;

export const AccuracySeriesSchema = Type.Object({
  version: Type.String(),
  aliases: Type.Array(AliasSchema, { description: 'the aliases serving it now (empty: it served before)' }),
  predictions: Count,
  correct: Count,
  points: Type.Array(AccuracyPointSchema),
});
export type AccuracySeries = Static<typeof AccuracySeriesSchema>;

export const AbPointSchema = Type.Object({
  t: Type.Number({ description: "epoch ms of the bucket's end" }),
  productionGames: Count,
  productionRate: Type.Number(),
  bGames: Count,
  bRate: Type.Number(),
  pValue: Type.Number({
    description: "one-sided pooled two-proportion z-test that B's bot win rate exceeds Production's",
  }),
});
export type AbPoint = Static<typeof AbPointSchema>;

export const AbTestSchema = Type.Object({
  production: Type.String(),
  b: Type.String(),
  since: Type.Union([EpochMs, Type.Null()], {
    description: 'when the pair was assigned, as this server observed it (null: before any record)',
  }),
  productionGames: Count,
  productionWins: Count,
  bGames: Count,
  bWins: Count,
  z: Type.Number(),
  pValue: Type.Number(),
  points: Type.Array(AbPointSchema),
});
export type AbTest = Static<typeof AbTestSchema>;

export const DashboardBotSchema = Type.Object({
  model: Type.String(),
  displayName: Type.String(),
  algorithm: AlgorithmSchema,
  trafficSplit: Type.Object({ Production: Type.Number(), B: Type.Number() }),
  aliases: Type.Array(Type.Object({ alias: AliasSchema, version: Version })),
  accuracy: Type.Object({ bucketSize: Count, series: Type.Array(AccuracySeriesSchema) }),
  abTest: Type.Union([AbTestSchema, Type.Null()]),
  drift: Type.Object({
    current: BotDriftSchema,
    history: Type.Array(Type.Object({ t: EpochMs, score: Type.Union([Type.Number(), Type.Null()]) }), {
      description: 'the background drift checks, oldest first (score null: no conclusion)',
    }),
  }),
  inputs: Type.Object(
    { window: Count, click: Count, key: Count, camera: Count },
    { description: "how the bot's moves among the latest `window` rounds stored were entered" },
  ),
  aliasChanges: Type.Array(
    Type.Object({
      at: EpochMs,
      alias: AliasSchema,
      version: Version,
      previous: Version,
      promotion: Type.Boolean({
        description: 'Production took the version B held (the A/B winner, or a pin that did the same)',
      }),
    }),
    { description: 'newest first' },
  ),
});
export type DashboardBot = Static<typeof DashboardBotSchema>;

export const DashboardDataSchema = Type.Object({
  generatedAt: EpochMs,
  excludeSynthetic: Type.Boolean(),
  bots: Type.Array(DashboardBotSchema),
});
export type DashboardData = Static<typeof DashboardDataSchema>;
