import { Type, type Static } from '@sinclair/typebox';
import {
  AlgorithmSchema,
  InputMethodSchema,
  MoveSchema,
  RoundResultSchema,
  RoundValuesSchema,
  VersionStatsSchema,
} from './schemas.ts';
import { BotDriftSchema } from './dashboard-api.ts';

export { BotDriftSchema, type BotDrift } from './dashboard-api.ts';

// The game server's HTTP API, each request and reply once: the app's routes declare these schemas
// (fastify's TypeBox type provider derives the handlers' types from them), and every client — the
// operator, the trainer, `rpsq simulate`, the benchmarks — reads the same schemas and types.

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const WinnerSchema = Type.Union([
  Type.Literal('player'),
  Type.Literal('bot'),
  Type.Literal('tie'),
  Type.Null(),
]);

/** Every error: `code` names a domain error (see the app's error handler), extra fields give context. */
export const ErrorReplySchema = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    code: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type ErrorReply = Static<typeof ErrorReplySchema>;

// --- games (public) ---

/** POST /api/v1/games */
export const StartGameBodySchema = Type.Object(
  {
    bot: Type.String({ minLength: 1, maxLength: 64, description: "the bot's model name or display name" }),
    player: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    synthetic: Type.Optional(Type.Boolean({ description: 'a scripted player (Ace … Hal), not a human' })),
  },
  { additionalProperties: false },
);
export type StartGameBody = Static<typeof StartGameBodySchema>;

export const StartGameReplySchema = Type.Object({
  gameId: Type.String(),
  bot: Type.String(),
  displayName: Type.String(),
  round: Type.Integer(),
  values: RoundValuesSchema,
  playerScore: Type.Number(),
  botScore: Type.Number(),
  playerHp: Type.Number(),
  botHp: Type.Number(),
});
export type StartGameReply = Static<typeof StartGameReplySchema>;

/** `:id` of /api/v1/games/:id and its moves */
export const GameParamsSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
});

/** POST /api/v1/games/:id/moves */
export const MoveBodySchema = Type.Object(
  {
    round: Type.Integer({ minimum: 1, maximum: 10_000 }),
    move: MoveSchema,
    input: Type.Optional(InputMethodSchema),
  },
  { additionalProperties: false },
);
export type MoveBody = Static<typeof MoveBodySchema>;

export const MoveReplySchema = Type.Object({
  gameId: Type.String(),
  round: Type.Integer(),
  playerMove: MoveSchema,
  botMove: MoveSchema,
  result: RoundResultSchema,
  playerGain: Type.Number(),
  botGain: Type.Number(),
  playerScore: Type.Number(),
  botScore: Type.Number(),
  playerHp: Type.Number(),
  botHp: Type.Number(),
  nextRound: Type.Union([Type.Integer(), Type.Null()]),
  nextValues: Type.Union([RoundValuesSchema, Type.Null()]),
  finished: Type.Boolean(),
  winner: WinnerSchema,
  /** only once the game has finished: which alias and version played it (null: no model) */
  alias: Type.Optional(Nullable(Type.String())),
  version: Type.Optional(Nullable(Type.String())),
});
export type MoveReply = Static<typeof MoveReplySchema>;

const RoundViewSchema = Type.Object({
  round: Type.Integer(),
  playerMove: MoveSchema,
  botMove: MoveSchema,
  values: RoundValuesSchema,
  result: RoundResultSchema,
  playerGain: Type.Number(),
  botGain: Type.Number(),
  playerScore: Type.Number(),
  botScore: Type.Number(),
  /** how the move was entered */
  input: InputMethodSchema,
});

/** GET /api/v1/games/:id */
export const GameReplySchema = Type.Object({
  gameId: Type.String(),
  bot: Type.String(),
  displayName: Type.String(),
  player: Nullable(Type.String()),
  synthetic: Type.Boolean(),
  round: Type.Union([Type.Integer(), Type.Null()]),
  values: Type.Union([RoundValuesSchema, Type.Null()]),
  playerScore: Type.Number(),
  botScore: Type.Number(),
  playerHp: Type.Number(),
  botHp: Type.Number(),
  finished: Type.Boolean(),
  winner: WinnerSchema,
  rounds: Type.Array(RoundViewSchema),
  createdAt: Type.String(),
  /** only once finished */
  gambit: Type.Optional(Type.String()),
  alias: Type.Optional(Nullable(Type.String())),
  version: Type.Optional(Nullable(Type.String())),
});
export type GameReply = Static<typeof GameReplySchema>;

// --- bots and models (public) ---

/** GET /api/v1/bots */
export const BotsReplySchema = Type.Object({
  bots: Type.Array(
    Type.Object({
      model: Type.String(),
      displayName: Type.String(),
      algorithm: AlgorithmSchema,
      games: Type.Integer({ description: 'finished games against human players' }),
      botWins: Type.Integer(),
      playerWins: Type.Integer(),
      ties: Type.Integer(),
      winRate: Type.Union([Type.Number(), Type.Null()], { description: 'bot wins / finished human games' }),
    }),
  ),
});
export type BotsReply = Static<typeof BotsReplySchema>;

export const AliasReportSchema = Type.Object({
  version: Type.String(),
  sha256: Type.String(),
  loaded: Type.Boolean(),
});
export type AliasReport = Static<typeof AliasReportSchema>;

/** What a bot actually serves; the operator compares it with the manifest it wrote (`Served`). */
export const ModelReportSchema = Type.Object({
  model: Type.String(),
  displayName: Type.String(),
  algorithm: AlgorithmSchema,
  manifest: Type.Union([Type.Literal('present'), Type.Literal('absent')]),
  fallback: Type.Boolean({ description: 'true: no model loaded, the bot plays uniform-probability EV' }),
  trafficSplit: Type.Object({ Production: Type.Number(), B: Type.Number() }),
  aliases: Type.Object({
    Production: Type.Optional(AliasReportSchema),
    B: Type.Optional(AliasReportSchema),
    Shadow1: Type.Optional(AliasReportSchema),
    Shadow2: Type.Optional(AliasReportSchema),
  }),
  lastError: Type.Optional(Type.String()),
});
export type ModelReport = Static<typeof ModelReportSchema>;

/** GET /api/v1/models */
export const ModelsReplySchema = Type.Object({ models: Type.Array(ModelReportSchema) });
export type ModelsReply = Static<typeof ModelsReplySchema>;

// --- probes and metrics (the game server; the operator's metrics port answers the same paths) ---

/** GET /healthz of the game server: the process runs (liveness) */
export const HealthReplySchema = Type.Object({ status: Type.Literal('ok') });
export type HealthReply = Static<typeof HealthReplySchema>;

/** GET /readyz of the game server: 200 `ready` once the models are loaded and the database answers, else 503 */
export const ReadyReplySchema = Type.Union([
  Type.Object({ status: Type.Literal('ready') }),
  Type.Object({
    status: Type.Union([Type.Literal('loading'), Type.Literal('unavailable')]),
    message: Type.String({ description: 'what is not ready yet' }),
  }),
]);
export type ReadyReply = Static<typeof ReadyReplySchema>;

/** The operator's GET /healthz, as text */
export const OperatorHealthReplySchema = Type.Literal('ok\n');
export type OperatorHealthReply = Static<typeof OperatorHealthReplySchema>;

/** The operator's GET /readyz, as text: 200 `ready` (the caches are synced, or it stands by), else 503 */
export const OperatorReadyReplySchema = Type.Union([
  Type.Literal('ready\n'),
  Type.Literal('caches not synced\n'),
]);
export type OperatorReadyReply = Static<typeof OperatorReadyReplySchema>;

/** The content type of every /metrics reply: Prometheus' text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * GET /metrics of the game server and of the operator, in METRICS_CONTENT_TYPE: `# HELP` and `# TYPE`
 * lines and one sample a line (`name{label="value",…} value`), each line ending in a newline; empty
 * lines part the metric families.
 */
export const MetricsReplySchema = Type.String({
  contentMediaType: METRICS_CONTENT_TYPE,
  pattern:
    '^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*\\n|[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? [^ \\n]+( -?[0-9]+)?\\n|\\n)*$',
});
export type MetricsReply = Static<typeof MetricsReplySchema>;

// --- internal (bearer token) ---

/** GET /api/v1/stats/versions */
export const VersionStatsQuerySchema = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 64 }),
  since: Type.Optional(
    Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 time or epoch ms' }),
  ),
  excludeSynthetic: Type.Optional(Type.Boolean({ default: false })),
});

export const VersionStatsReplySchema = Type.Object({
  model: Type.String(),
  since: Type.String(),
  excludeSynthetic: Type.Boolean(),
  finishedGames: Type.Integer({
    minimum: 0,
    description: 'finished games of the bot since, including those played before any version was served',
  }),
  versions: Type.Array(VersionStatsSchema),
});
export type VersionStatsReply = Static<typeof VersionStatsReplySchema>;

/** GET /api/v1/stats/drift */
export const DriftQuerySchema = Type.Object({
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  excludeSynthetic: Type.Optional(Type.Boolean({ default: false })),
});

/** One bot with `?model=`, else every bot. */
export const DriftReplySchema = Type.Union([
  BotDriftSchema,
  Type.Object({ bots: Type.Array(BotDriftSchema) }),
]);
export type DriftReply = Static<typeof DriftReplySchema>;

/** the most rounds one page of GET /api/v1/export/events holds */
export const MAX_EXPORT_LIMIT = 100_000;

/** GET /api/v1/export/events: NDJSON lines of ExportedRoundSchema, `X-Next-Since` the next cursor */
export const ExportQuerySchema = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'the last id already read' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXPORT_LIMIT, default: 10_000 })),
});
