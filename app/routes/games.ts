import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ErrorReplySchema,
  GameParamsSchema,
  GameReplySchema,
  MoveBodySchema,
  MoveReplySchema,
  StartGameBodySchema,
  StartGameReplySchema,
} from '../../core/index.ts';
import type { GameService } from '../game-service.ts';

export interface GamesRoutesOptions {
  games: GameService;
  rateLimit: { max: number; timeWindow: string };
}

/** Public game routes: start a game, read it, submit a move. */
export const gamesRoutes: FastifyPluginAsyncTypebox<GamesRoutesOptions> = async (
  app,
  { games, rateLimit },
) => {
  const config = { rateLimit };

  app.post(
    '/api/v1/games',
    {
      config,
      schema: {
        body: StartGameBodySchema,
        response: { 201: StartGameReplySchema, 400: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (req, reply) => {
      const started = await games.startGame(req.body);
      return reply.code(201).send(started);
    },
  );

  app.get(
    '/api/v1/games/:id',
    {
      config,
      schema: { params: GameParamsSchema, response: { 200: GameReplySchema, 404: ErrorReplySchema } },
    },
    async (req) => games.getGame(req.params.id),
  );

  app.post(
    '/api/v1/games/:id/moves',
    {
      config,
      schema: {
        params: GameParamsSchema,
        body: MoveBodySchema,
        response: {
          200: MoveReplySchema,
          400: ErrorReplySchema,
          404: ErrorReplySchema,
          409: ErrorReplySchema,
        },
      },
    },
    async (req) => games.playMove(req.params.id, req.body.round, () => req.body.move, req.body.input),
  );
};
