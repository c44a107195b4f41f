import { createServer } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GameServerClient, GameServerError } from '../../operator/game-server.ts';

const app = Fastify();
let modelsCalls = 0;
const exportCalls: string[] = [];
let base = '';

beforeAll(async () => {
  app.get('/api/v1/models', async () => {
    modelsCalls++;
    return {
      models: [
        {
          model: 'brian',
          displayName: 'Brian',
          algorithm: 'mlp',
          manifest: 'present',
          fallback: false,
          trafficSplit: { Production: 1, B: 0 },
          aliases: { Production: { version: 'v1', sha256: 'a', loaded: true } },
        },
      ],
    };
  });
  app.get<{ Querystring: Record<string, string> }>('/api/v1/stats/versions', async (req, reply) => {
    if (req.headers.authorization !== 'Bearer t0ken') return reply.code(401).send({ error: 'no token' });
    if (req.query.model === 'broken')
      return { model: 'broken', since: 'x', versions: [{ model: 'broken', version: 'nope' }] };
    return {
      model: req.query.model,
      since: req.query.since,
      excludeSynthetic: req.query.excludeSynthetic === 'true',
      versions: [
        {
          model: req.query.model,
          version: 'v1',
          games: 3,
          botWins: 2,
          botLosses: 1,
          ties: 0,
          predictions: 30,
          correct: 12,
        },
      ],
    };
  });
  app.get<{ Querystring: Record<string, string> }>('/api/v1/stats/drift', async (req) => {
    const reply = {
      model: req.query.model,
      version: 'v2',
      drifted: true,
      insufficientData: false,
      score: 0.31,
      threshold: 0.2,
      statistic: 'psi',
      rows: 800,
      referenceRows: 1200,
    };
    if (req.query.model === 'old') return { ...reply, referenceRows: 0 };
    if (req.query.model === 'broken') return { ...reply, score: 'high' };
    return reply;
  });
  app.get<{ Querystring: { since: string; limit: string } }>('/api/v1/export/events', async (req, reply) => {
    exportCalls.push(`${req.query.since}/${req.query.limit}`);
    const since = Number(req.query.since);
    const limit = Number(req.query.limit);
    const ids = Array.from({ length: 250 }, (_, i) => i + 1)
      .filter((id) => id > since)
      .slice(0, limit);
    reply.header('x-next-since', String(ids.at(-1) ?? since));
    return ids.map((id) => `{"id":${id}}\n`).join('');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await app.close();
});

describe('game server client', () => {
  it('reads what is served, asking once for many reconciles at the same moment', async () => {
    const client = new GameServerClient({ baseUrl: base, token: null, cacheMs: 60_000 });
    const [a, b] = await Promise.all([client.models(), client.models()]);
    expect(a).toBe(b);
    expect(a[0]).toMatchObject({
      model: 'brian',
      manifest: 'present',
      aliases: { Production: { version: 'v1' } },
    });
    expect(modelsCalls).toBe(1);
  });

  it('reads version stats with the bearer token, excluding synthetic players unless asked', async () => {
    const client = new GameServerClient({ baseUrl: base, token: 't0ken' });
    const stats = await client.versionStats('brian', '2025-01-01T00:00:00.000Z', false);
    expect(stats).toEqual([
      {
        model: 'brian',
        version: 'v1',
        games: 3,
        botWins: 2,
        botLosses: 1,
        ties: 0,
        predictions: 30,
        correct: 12,
      },
    ]);
    await expect(
      new GameServerClient({ baseUrl: base, token: null }).versionStats('brian', 'x', true),
    ).rejects.toThrow(/answered 401/);
    await expect(client.versionStats('broken', 'x', true)).rejects.toThrow(
      /invalid GET \/api\/v1\/stats\/versions reply: .*\/versions\/0/,
    );
  });

  it('reads a drift check, validated: the reference size only when the game server has one', async () => {
    const client = new GameServerClient({ baseUrl: base, token: 't0ken' });
    expect(await client.drift('brian')).toEqual({
      version: 'v2',
      drifted: true,
      insufficientData: false,
      score: 0.31,
      threshold: 0.2,
      rows: 800,
      referenceRows: 1200,
    });
    expect(await client.drift('old')).not.toHaveProperty('referenceRows');
    await expect(client.drift('broken')).rejects.toThrow(
      'invalid GET /api/v1/stats/drift?model=broken reply: /score: must be number',
    );
  });

  it('counts rounds only as far as a gate needs, page by page', async () => {
    const client = new GameServerClient({ baseUrl: base, token: 't0ken' });
    exportCalls.length = 0;
    expect(await client.countEvents(0, 100)).toBe(100);
    expect(exportCalls).toEqual(['0/100']);
    expect(await client.countEvents(200, 100)).toBe(50);
    expect(await client.countEvents(0, 0)).toBe(0);
  });

  it('says which URL failed when the server is down', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const client = new GameServerClient({ baseUrl: `http://127.0.0.1:${port}`, token: null });
    const err = await client.models().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GameServerError);
    expect((err as Error).message).toBe(`GET http://127.0.0.1:${port}/api/v1/models failed: ECONNREFUSED`);
  });
});
