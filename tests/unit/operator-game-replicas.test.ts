import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServedReport } from '../../operator/decisions/serving.ts';
import { readyEndpoints, serviceOf } from '../../operator/game-replicas.ts';
import { GameServerClient, GameServerError, mergeReplicaReports } from '../../operator/game-server.ts';

const report = (version: string, loaded = true, split = { Production: 0.9, B: 0.1 }): ServedReport => ({
  model: 'brian',
  manifest: 'present',
  trafficSplit: split,
  aliases: { Production: { version, sha256: `sha-${version}`, loaded } },
});

describe('mergeReplicaReports', () => {
  it('counts an alias as loaded only when every replica has loaded the same version', () => {
    expect(
      mergeReplicaReports([
        { endpoint: 'a', models: [report('v1')] },
        { endpoint: 'b', models: [report('v1')] },
      ]),
    ).toEqual([report('v1')]);
    expect(
      mergeReplicaReports([
        { endpoint: 'a', models: [report('v1')] },
        { endpoint: 'b', models: [report('v1', false)] },
      ])[0]!.aliases.Production,
    ).toEqual({ version: 'v1', sha256: 'sha-v1', loaded: false });
  });

  it('reports a replica that serves another version, split or no manifest, naming it', () => {
    const [other] = mergeReplicaReports([
      { endpoint: 'a', models: [report('v2')] },
      { endpoint: 'b', models: [report('v1', true, { Production: 1, B: 0 })] },
    ]);
    expect(other!.aliases.Production).toMatchObject({ version: 'v1', loaded: false });
    expect(other!.trafficSplit).toEqual({ Production: 1, B: 0 });
    expect(other!.lastError).toMatch(/replica b serves v1 as Production/);
    const [missing] = mergeReplicaReports([
      { endpoint: 'a', models: [report('v2')] },
      { endpoint: 'b', models: [] },
    ]);
    expect(missing!.manifest).toBe('absent');
    expect(missing!.lastError).toMatch(/replica b does not list brian/);
    // the lagging replica is named whichever replica's report the merge starts from
    for (const lagging of ['a', 'b']) {
      const [lags] = mergeReplicaReports(
        ['a', 'b'].map((endpoint) => ({
          endpoint,
          models: [
            endpoint === lagging
              ? { ...report('v1'), manifest: 'absent' as const, aliases: {} }
              : report('v1'),
          ],
        })),
      );
      expect(lags!.manifest).toBe('absent');
      expect(lags!.lastError).toMatch(new RegExp(`replica ${lagging} has not read the manifest`));
      expect(lags!.lastError).not.toMatch(new RegExp(`replica ${lagging === 'a' ? 'b' : 'a'}`));
    }
  });
});

describe('the game Service', () => {
  it('is named by a Service URL, not by an address or an outside name', () => {
    expect(serviceOf('http://rps-quest-game:8080')).toBe('rps-quest-game');
    expect(serviceOf('http://rps-quest-game.rps-quest.svc.cluster.local')).toBe('rps-quest-game');
    expect(serviceOf('http://127.0.0.1:8080')).toBeNull();
    expect(serviceOf('http://localhost:8080')).toBeNull();
    expect(serviceOf('https://game.example.com')).toBeNull();
  });

  it('has as replicas the ready endpoints on the http port', () => {
    expect(
      readyEndpoints([
        {
          ports: [
            { name: 'metrics', port: 9100 },
            { name: 'http', port: 8080 },
          ],
          endpoints: [
            { addresses: ['10.0.0.2'], conditions: { ready: true } },
            { addresses: ['10.0.0.3'], conditions: { ready: false } },
            { addresses: ['fd00::1'] },
          ],
        },
      ]),
    ).toEqual(['http://10.0.0.2:8080', 'http://[fd00::1]:8080']);
  });
});

describe('GameServerClient with replicas', () => {
  const servers: FastifyInstance[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });
  async function replica(r: ServedReport): Promise<string> {
    const app = Fastify();
    app.get('/api/v1/models', async () => ({ models: [r] }));
    servers.push(app);
    return app.listen({ port: 0, host: '127.0.0.1' });
  }

  it('asks every ready replica and is served only when all serve the manifest', async () => {
    const a = await replica(report('v2'));
    const b = await replica(report('v1'));
    const client = new GameServerClient({
      baseUrl: a,
      token: null,
      cacheMs: 0,
      replicas: async () => [a, b],
    });
    const [merged] = await client.models();
    expect(merged!.aliases.Production).toMatchObject({ loaded: false });
    expect(merged!.lastError).toContain(b);
    const none = new GameServerClient({ baseUrl: a, token: null, cacheMs: 0, replicas: async () => [] });
    await expect(none.models()).rejects.toBeInstanceOf(GameServerError);
    const plain = new GameServerClient({ baseUrl: a, token: null, cacheMs: 0, replicas: async () => null });
    expect((await plain.models())[0]!.aliases.Production).toMatchObject({ version: 'v2', loaded: true });
  });
});
