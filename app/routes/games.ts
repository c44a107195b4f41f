import type { FastifyPluginAsync } from 'fastify';
import type { GameService } from '../game-service.ts';
import {
  ErrorReply,
  GameParams,
  GameReply,
  MoveBody,
  MoveReply,
  StartGameBody,
  StartGameReply,
} from './games.schemas.ts';

export interface GamesRoutesOptions {
  games: GameService;
  rateLimit: { max: number; timeWindow: string };
}

/** Public game routes: start a game, read it, submit a move. */
export const gamesRoutes: FastifyPluginAsync<GamesRoutesOptions> = async (app, { games, rateLimit }) => {
  const config = { rateLimit };

  app.post<{ Body: StartGameBody }>(
    '/api/v1/games',
    {
      config,
      schema: { body: StartGameBody, response: { 201: StartGameReply, 400: ErrorReply, 404: ErrorReply } },
    },
    async (req, reply) => {
      const started = await games.startGame(req.body);
      return reply.code(201).send(started);
    },
  );

  app.get<{ Params: GameParams }>(
    '/api/v1/games/:id',
    { config, schema: { params: GameParams, response: { 200: GameReply, 404: ErrorReply } } },
    async (req) => games.getGame(req.params.id),
  );

  app.post<{ Params: GameParams; Body: MoveBody }>(
    '/api/v1/games/:id/moves',
    {
      config,
      schema: {
        params: GameParams,
        body: MoveBody,
        response: { 200: MoveReply, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (req) => games.playMove(req.params.id, req.body.round, () => req.body.move, req.body.input),
  );
};
