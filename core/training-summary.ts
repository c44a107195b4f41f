import { Type, type Static } from '@sinclair/typebox';
import { AlgorithmSchema } from './schemas.ts';

// The trainer's one-line JSON summary, written to its pod's termination message (and stdout): what
// `rpsq train` answers the operator, which shows a failure's `error` in the Training condition.

const Nullable = <T extends ReturnType<typeof Type.Number | typeof Type.String>>(t: T) =>
  Type.Union([t, Type.Null()]);

/** A version trained and uploaded (`status: trained`), with its offline evaluation. */
export const TrainedSummarySchema = Type.Object({
  model: Type.String(),
  version: Type.String(),
  algorithm: AlgorithmSchema,
  status: Type.Literal('trained'),
  uri: Type.String(),
  sha256: Type.String(),
  bytes: Type.Integer({ minimum: 0 }),
  accuracy: Type.Number(),
  baselineAccuracy: Type.Number(),
  logLoss: Type.Number(),
  rows: Type.Integer({ minimum: 0 }),
  events: Type.Integer({ minimum: 0 }),
  durationMs: Type.Number({ minimum: 0 }),
  evaluation: Type.Object({
    rows: Type.Integer({ minimum: 0 }),
    candidateAccuracy: Type.Number(),
    productionVersion: Nullable(Type.String()),
    productionAccuracy: Nullable(Type.Number()),
    accuracyDelta: Nullable(Type.Number()),
    error: Type.Optional(Type.String({ description: 'why the comparison with Production was not made' })),
  }),
});

/** The version was complete already: nothing was trained (`status: exists`). */
export const ExistingSummarySchema = Type.Object({
  model: Type.String(),
  version: Type.String(),
  algorithm: AlgorithmSchema,
  status: Type.Literal('exists'),
  uri: Type.String(),
  sha256: Type.String(),
  accuracy: Type.Number(),
});

/** The run failed (exit code 1 or 2; `status: failed` when a signal stopped it); names as given. */
export const FailedSummarySchema = Type.Object({
  model: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  algorithm: Type.Optional(Type.String()),
  status: Type.Optional(Type.Literal('failed')),
  error: Type.String({ description: 'every problem, on one line' }),
});

export const TrainingSummarySchema = Type.Union([
  TrainedSummarySchema,
  ExistingSummarySchema,
  FailedSummarySchema,
]);
export type TrainingSummary = Static<typeof TrainingSummarySchema>;
export type FailedSummary = Static<typeof FailedSummarySchema>;
