import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { INPUT_METHODS, MOVES, type InputMethod, type Move } from './moves.ts';
import { FEATURE_COUNT } from './features.ts';
import type { RoundResult } from './game.ts';

// One source for each shared record: the TypeBox schema is the JSON Schema, Static<> is the type.

export type Alias = 'Production' | 'B' | 'Shadow1' | 'Shadow2';
export const ALIASES: readonly Alias[] = Object.freeze(['Production', 'B', 'Shadow1', 'Shadow2'] as const);

export type Algorithm = 'mlp' | 'gbdt' | 'logistic';
export const ALGORITHMS: readonly Algorithm[] = Object.freeze(['mlp', 'gbdt', 'logistic'] as const);

const RESULTS: readonly RoundResult[] = ['win', 'lose', 'draw'];

/** A string that is one of `values` (JSON Schema `enum`), typed as their union. */
export function StringEnum<T extends string>(values: readonly T[], description?: string) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

const ModelName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  maxLength: 63,
  description: 'the RpsModel name (a DNS label)',
});
const VersionName = Type.String({ pattern: '^v[1-9][0-9]*$', description: 'v1, v2, …' });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'lowercase hex SHA-256' });
const S3Uri = Type.String({ pattern: '^s3://[^/]+/.+$', description: 's3://<bucket>/<key>' });
const Timestamp = Type.String({ format: 'date-time' });
const Count = Type.Integer({ minimum: 0 });
const Score = Type.Number({ minimum: 0 });
export const MoveSchema = StringEnum<Move>(MOVES);
export const InputMethodSchema = StringEnum<InputMethod>(INPUT_METHODS);
export const RoundResultSchema = StringEnum<RoundResult>(RESULTS);
export const AlgorithmSchema = StringEnum<Algorithm>(ALGORITHMS);
export const AliasSchema = StringEnum<Alias>(ALIASES);

export const RoundValuesSchema = Type.Object({
  rock: Type.Number({ exclusiveMinimum: 0 }),
  paper: Type.Number({ exclusiveMinimum: 0 }),
  scissors: Type.Number({ exclusiveMinimum: 0 }),
});

export const AliasTargetSchema = Type.Object({
  version: VersionName,
  uri: S3Uri,
  sha256: Sha256,
  /** the features this version reads; absent means rps-features/v1 (manifests before feature sets) */
  featureSet: Type.Optional(Type.String({ minLength: 1 })),
});
export type AliasTarget = Static<typeof AliasTargetSchema>;

/** One bot's entry (`<model>.json`) in the serving manifest ConfigMap written by the operator. */
export const ServingManifestSchema = Type.Object({
  model: ModelName,
  displayName: Type.String({ minLength: 1 }),
  algorithm: AlgorithmSchema,
  /** the feature set new versions of this model are trained with */
  featureSet: Type.String({ minLength: 1 }),
  trafficSplit: Type.Object({
    Production: Type.Number({ minimum: 0 }),
    B: Type.Number({ minimum: 0 }),
  }),
  aliases: Type.Object(
    {
      Production: Type.Optional(AliasTargetSchema),
      B: Type.Optional(AliasTargetSchema),
      Shadow1: Type.Optional(AliasTargetSchema),
      Shadow2: Type.Optional(AliasTargetSchema),
    },
    { additionalProperties: false },
  ),
});
export type ServingManifest = Static<typeof ServingManifestSchema>;

/** Training-time statistics a drift check compares live traffic with. */
export const ReferenceStatisticsSchema = Type.Object({
  rows: Count,
  /** per feature, in FEATURE_NAMES order */
  featureMean: Type.Array(Type.Number(), { minItems: FEATURE_COUNT, maxItems: FEATURE_COUNT }),
  featureStd: Type.Array(Type.Number({ minimum: 0 }), { minItems: FEATURE_COUNT, maxItems: FEATURE_COUNT }),
  /** the player's move shares, rock, paper, scissors */
  moveShares: Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 3, maxItems: 3 }),
  /** quantile histograms of the features the drift check bins (see core/drift.ts) */
  histograms: Type.Optional(
    Type.Array(
      Type.Object({
        feature: Type.String(),
        /** inner bin edges, ascending: bin i holds x < edges[i] (the last bin the rest) */
        edges: Type.Array(Type.Number()),
        shares: Type.Array(Type.Number({ minimum: 0, maximum: 1 })),
      }),
    ),
  ),
});
export type ReferenceStatistics = Static<typeof ReferenceStatisticsSchema>;

/** `<model>/<version>/metadata.json`, written by the trainer, read by the operator. */
export const ArtifactMetadataSchema = Type.Object({
  schemaVersion: Type.Literal(1),
  model: ModelName,
  version: VersionName,
  algorithm: AlgorithmSchema,
  featureSet: Type.String({ minLength: 1 }),
  classes: Type.Array(MoveSchema, { minItems: 3, maxItems: 3 }),
  hyperparameters: Type.Record(Type.String(), Type.Unknown()),
  metrics: Type.Object({
    accuracy: Type.Number({ minimum: 0, maximum: 1 }),
    logLoss: Type.Number({ minimum: 0 }),
    baselineAccuracy: Type.Number({ minimum: 0, maximum: 1 }),
    rows: Count,
    perClass: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
  dataset: Type.Object({
    events: Count,
    games: Count,
    humanEvents: Count,
    syntheticEvents: Count,
    lastEventId: Type.Optional(Count),
    from: Type.Union([Timestamp, Type.Null()]),
    to: Type.Union([Timestamp, Type.Null()]),
    sha256: Sha256,
  }),
  artifact: Type.Object({ sha256: Sha256, bytes: Type.Integer({ minimum: 1 }) }),
  trainerVersion: Type.String({ minLength: 1 }),
  seed: Type.Integer(),
  durationMs: Type.Number({ minimum: 0 }),
  createdAt: Timestamp,
  reference: Type.Optional(ReferenceStatisticsSchema),
  /** a hyperparameter search (spec.search): every candidate's validation score, and the best one's index */
  search: Type.Optional(
    Type.Object({
      metric: Type.Literal('validationLogLoss'),
      best: Count,
      candidates: Type.Array(
        Type.Object({
          hyperparameters: Type.Record(Type.String(), Type.Unknown()),
          validationLogLoss: Type.Number({ minimum: 0 }),
          validationAccuracy: Type.Number({ minimum: 0, maximum: 1 }),
          seconds: Type.Number({ minimum: 0 }),
        }),
        { minItems: 1 },
      ),
    }),
  ),
});
export type ArtifactMetadata = Static<typeof ArtifactMetadataSchema>;

/** One NDJSON line of `GET /api/v1/export/events`: a played round with its game context. */
export const ExportedRoundSchema = Type.Object({
  /** monotonic, the `since` cursor */
  id: Type.Integer({ minimum: 1 }),
  gameId: Type.String({ minLength: 1 }),
  /** the model name of the bot */
  bot: ModelName,
  round: Type.Integer({ minimum: 1 }),
  playerMove: MoveSchema,
  botMove: MoveSchema,
  values: RoundValuesSchema,
  result: RoundResultSchema,
  playerScore: Score,
  botScore: Score,
  synthetic: Type.Boolean(),
  /** the synthetic player's name; null for people */
  player: Type.Union([Type.String(), Type.Null()]),
  /** the alias and version that played the game; null when no model was served */
  alias: Type.Union([AliasSchema, Type.Null()]),
  version: Type.Union([VersionName, Type.Null()]),
  /** how the move was entered; absent in exports from before it was recorded (read as click) */
  input: Type.Optional(InputMethodSchema),
  createdAt: Timestamp,
});
export type ExportedRound = Static<typeof ExportedRoundSchema>;

/** One entry of `GET /api/v1/stats/versions`. */
export const VersionStatsSchema = Type.Object({
  model: ModelName,
  version: VersionName,
  games: Count,
  botWins: Count,
  botLosses: Count,
  ties: Count,
  predictions: Count,
  correct: Count,
});
export type VersionStats = Static<typeof VersionStatsSchema>;

// --- validation ---

export class SchemaError extends Error {
  readonly errors: string[];
  constructor(what: string, errors: string[]) {
    super(`invalid ${what}: ${errors.join('; ')}`);
    this.name = 'SchemaError';
    this.errors = errors;
  }
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const compiled = new WeakMap<TSchema, ValidateFunction>();

function validator(schema: TSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** "/path/to/field: what is wrong", with the offending field named even for missing/extra ones. */
function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return `${e.instancePath}/${String(params.missingProperty)}: is required`;
  if (e.keyword === 'additionalProperties') {
    return `${e.instancePath}/${String(params.additionalProperty)}: is not an allowed property`;
  }
  const where = e.instancePath || '/';
  if (e.keyword === 'enum') {
    return `${where}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${where}: ${e.message ?? e.keyword}`;
}

export function validate<S extends TSchema>(schema: S, value: unknown): ValidationResult<Static<S>>;
export function validate<T>(schema: TSchema, value: unknown): ValidationResult<T>;
export function validate(schema: TSchema, value: unknown): ValidationResult<unknown> {
  const fn = validator(schema);
  if (fn(value)) return { ok: true, value };
  const errors = [...new Set((fn.errors ?? []).map(describe))];
  return { ok: false, errors: errors.length ? errors : ['/: is invalid'] };
}

/** The value, typed, or a SchemaError listing every problem ("<what>" names the thing checked). */
export function assertValid<S extends TSchema>(schema: S, value: unknown, what: string): Static<S>;
export function assertValid<T>(schema: TSchema, value: unknown, what: string): T;
export function assertValid(schema: TSchema, value: unknown, what: string): unknown {
  const result = validate(schema, value);
  if (!result.ok) throw new SchemaError(what, result.errors);
  return result.value;
}
