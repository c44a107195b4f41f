import { Type, type Static } from '@sinclair/typebox';

const Move = Type.Union([Type.Literal('rock'), Type.Literal('paper'), Type.Literal('scissors')]);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const RoundValuesSchema = Type.Object({
  rock: Type.Number(),
  paper: Type.Number(),
  scissors: Type.Number(),
});

export const StartGameBody = Type.Object(
  {
    bot: Type.String({ minLength: 1, maxLength: 64, description: "the bot's model name or display name" }),
    player: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    synthetic: Type.Optional(Type.Boolean({ description: 'a scripted player (Ace … Hal), not a human' })),
  },
  { additionalProperties: false },
);
export type StartGameBody = Static<typeof StartGameBody>;

export const StartGameReply = Type.Object({
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

export const GameParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
});
export type GameParams = Static<typeof GameParams>;

export const MoveBody = Type.Object(
  {
    round: Type.Integer({ minimum: 1, maximum: 10_000 }),
    move: Type.String({ enum: ['rock', 'paper', 'scissors'] }),
    input: Type.Optional(
      Type.String({
        enum: ['click', 'key', 'camera'],
        description: 'how the move was entered (default click)',
      }),
    ),
  },
  { additionalProperties: false },
);
export interface MoveBody {
  round: number;
  move: 'rock' | 'paper' | 'scissors';
  input?: 'click' | 'key' | 'camera';
}

const WinnerSchema = Type.Union([
  Type.Literal('player'),
  Type.Literal('bot'),
  Type.Literal('tie'),
  Type.Null(),
]);

export const MoveReply = Type.Object({
  gameId: Type.String(),
  round: Type.Integer(),
  playerMove: Move,
  botMove: Move,
  result: Type.Union([Type.Literal('win'), Type.Literal('lose'), Type.Literal('draw')]),
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
  alias: Type.Optional(Nullable(Type.String())),
  version: Type.Optional(Nullable(Type.String())),
});

const RoundView = Type.Object({
  round: Type.Integer(),
  playerMove: Move,
  botMove: Move,
  values: RoundValuesSchema,
  result: Type.String(),
  playerGain: Type.Number(),
  botGain: Type.Number(),
  playerScore: Type.Number(),
  botScore: Type.Number(),
  input: Type.Union([Type.Literal('click'), Type.Literal('key'), Type.Literal('camera')], {
    description: 'how the move was entered',
  }),
});

export const GameReply = Type.Object({
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
  rounds: Type.Array(RoundView),
  createdAt: Type.String(),
  gambit: Type.Optional(Type.String()),
  alias: Type.Optional(Nullable(Type.String())),
  version: Type.Optional(Nullable(Type.String())),
});

export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    code: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
