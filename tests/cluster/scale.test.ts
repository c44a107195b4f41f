// config/scale on the real node (hack/cluster/scale): PostgreSQL from the node's own image and three
// game server replicas behind the Service, with the autoscaler and the disruption budget. Whole
// games whose moves spread over the replicas, the operator's Served over every ready replica, and a
// replica deleted in the middle of a game without losing an acknowledged move. The installation is
// switched back to config/default (hack/cluster/overlay) at the end, as the other files expect it;
// PostgreSQL's claim and data stay for the next switch.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GameReply, ModelsReply, MoveReply, StartGameReply } from '../../core/index.ts';
import {
  cluster,
  condition,
  kjson,
  kubectl,
  model,
  switchToDefault,
  switchToScale,
  until,
} from './cluster-env.ts';

const { gameUrl } = cluster();
const BOTS = ['brian', 'forrest', 'logan'];
const MOVES = ['rock', 'paper', 'scissors'] as const;
const GAME = 'app.kubernetes.io/component=game';

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: {
    securityContext?: { runAsUser?: number; runAsNonRoot?: boolean };
    containers: { image: string; env?: { name: string; valueFrom?: unknown }[] }[];
    volumes?: { name: string; persistentVolumeClaim?: unknown }[];
  };
  status: { phase: string; podIP?: string; containerStatuses?: { ready: boolean }[] };
}
interface Workload {
  spec: { replicas?: number; strategy?: { type: string } };
  status: { replicas?: number; readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number };
}

const workload = (kind: string, name: string) => kjson<Workload>('get', kind, name);
/** game server pods that run, are ready and are not being deleted */
const readyGamePods = () =>
  kjson<{ items: Pod[] }>('get', 'pods', '-l', GAME).items.filter(
    (p) =>
      p.status.phase === 'Running' &&
      !p.metadata.deletionTimestamp &&
      p.status.containerStatuses?.every((c) => c.ready),
  );
const allGamePods = () => kjson<{ items: Pod[] }>('get', 'pods', '-l', GAME).items;

/**
 * One request on a connection of its own (no keep-alive), so that kube-proxy picks a replica for
 * every request, as it does for players' browsers.
 */
function send<T>(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: T }> {
  const url = new URL(urlPath, gameUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        timeout: 10_000,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
          } catch {
            reject(new Error(`${method} ${urlPath} → ${res.statusCode}: ${text}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A move through the Service, retried (same round, same move) while the replica that got it goes
 * away: a connection error or a 503. Resolves with the acknowledged reply.
 */
async function move(gameId: string, round: number, m: string): Promise<MoveReply> {
  let last = '';
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      const res = await send<MoveReply>('POST', `/api/v1/games/${gameId}/moves`, { round, move: m });
      if (res.status >= 200 && res.status < 300) return res.body;
      last = `${res.status} ${JSON.stringify(res.body)}`;
      if (res.status !== 503 && res.status !== 502) throw new Error(`round ${round} of ${gameId}: ${last}`);
    } catch (err) {
      if ((err as Error).message.startsWith(`round ${round}`)) throw err;
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`round ${round} of ${gameId} not acknowledged: ${last}`);
}

async function startGame(bot: string): Promise<string> {
  const res = await send<StartGameReply>('POST', '/api/v1/games', { bot });
  if (res.status !== 201)
    throw new Error(`starting a game with ${bot}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.gameId;
}

/** plays `gameId` from `from` until it ends (or `rounds` rounds), returning every acknowledged reply */
async function play(gameId: string, from: number, rounds = 200, ack: MoveReply[] = []): Promise<MoveReply[]> {
  let next: number | null = from;
  for (let i = 0; i < rounds && next !== null; i++) {
    const reply = await move(gameId, next, MOVES[(next * 7) % 3]!);
    ack.push(reply);
    next = reply.finished ? null : reply.nextRound;
  }
  return ack;
}

/** the sum of a counter over its series in one replica's /metrics */
async function counter(pod: Pod, name: string): Promise<number> {
  const text = await (await fetch(`http://${pod.status.podIP}:8080/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** what the operator asks the game server to serve: model → alias → version and sha256 */
function manifests(): Map<string, Record<string, { version: string; sha256: string } | null>> {
  const cm = kjson<{ data: Record<string, string> }>('get', 'configmap', 'rps-quest-game-models');
  return new Map(
    Object.values(cm.data).map((text) => {
      const m = JSON.parse(text) as {
        model: string;
        aliases: Record<string, { version: string; sha256: string } | null>;
      };
      return [m.model, m.aliases];
    }),
  );
}

const cronSuspended = (suspend: boolean) =>
  kubectl(
    'patch',
    'cronjob',
    'rps-quest-simulate',
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { suspend } }),
  );

beforeAll(async () => {
  // no synthetic games while moves are counted per replica
  cronSuspended(true);
  switchToScale();
  await until(
    'PostgreSQL Ready',
    () => (workload('statefulset', 'rps-quest-postgres').status.readyReplicas === 1 ? true : undefined),
    300_000,
  );
  await until(
    'three game server replicas of the new template ready, the SQLite one gone',
    () => {
      const s = workload('deployment', 'rps-quest-game').status;
      return s.updatedReplicas === 3 &&
        s.availableReplicas === 3 &&
        s.replicas === 3 &&
        allGamePods().length === 3 &&
        readyGamePods().length === 3
        ? true
        : undefined;
    },
    300_000,
  );
}, 660_000);

afterAll(async () => {
  switchToDefault();
  cronSuspended(false);
  await until(
    'one game server on SQLite again',
    async () => {
      const s = workload('deployment', 'rps-quest-game').status;
      const pods = allGamePods();
      if (s.replicas !== 1 || s.availableReplicas !== 1 || pods.length !== 1 || readyGamePods().length !== 1)
        return undefined;
      if (!pods[0]!.spec.volumes?.some((v) => v.name === 'data' && v.persistentVolumeClaim)) return undefined;
      return (await fetch(`${gameUrl}/readyz`)).ok ? true : undefined;
    },
    300_000,
  );
  await until('every bot Ready', () =>
    BOTS.every((b) => condition(model(b), 'Ready')?.status === 'True') ? true : undefined,
  );
}, 660_000);

describe('config/scale on the real node', () => {
  it('runs PostgreSQL from the node image as uid 999 and three replicas on it, with the PDB and the HPA', () => {
    const [postgres] = kjson<{ items: Pod[] }>(
      'get',
      'pods',
      '-l',
      'app.kubernetes.io/component=postgres',
    ).items;
    expect(postgres!.spec.containers[0]!.image).toBe('localhost/rps-quest/postgres:local');
    expect(postgres!.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999 });
    const claim = kjson<{ status: { phase: string } }>('get', 'pvc', 'data-rps-quest-postgres-0');
    expect(claim.status.phase).toBe('Bound');

    const game = workload('deployment', 'rps-quest-game');
    expect(game.spec.strategy?.type).toBe('RollingUpdate');
    const pods = readyGamePods();
    expect(pods.length).toBe(3);
    for (const p of pods) {
      const env = p.spec.containers[0]!.env ?? [];
      expect(env.find((e) => e.name === 'RPS_DATABASE_URL')?.valueFrom).toMatchObject({
        secretKeyRef: { name: 'rps-quest-postgres', key: 'url' },
      });
      expect(env.some((e) => e.name === 'RPS_DB')).toBe(false);
      expect(p.spec.volumes?.some((v) => v.persistentVolumeClaim)).toBe(false);
    }
    const pdb = kjson<{ spec: { maxUnavailable: number } }>('get', 'pdb', 'rps-quest-game');
    expect(pdb.spec.maxUnavailable).toBe(1);
    const hpa = kjson<{
      spec: { minReplicas: number; maxReplicas: number; scaleTargetRef: { kind: string; name: string } };
    }>('get', 'hpa', 'rps-quest-game');
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
      scaleTargetRef: { kind: 'Deployment', name: 'rps-quest-game' },
    });
  });

  it('keeps Served for every bot: each of the three ready replicas serves the manifest', async () => {
    const want = manifests();
    const pods = readyGamePods();
    for (const pod of pods) {
      const reply = await until(`${pod.metadata.name} serving the manifest`, async () => {
        const r = (await (
          await fetch(`http://${pod.status.podIP}:8080/api/v1/models`)
        ).json()) as ModelsReply;
        return r.models.every((m) =>
          Object.entries(want.get(m.model) ?? {}).every(
            ([alias, a]) => !a || r.models.find((x) => x.model === m.model)?.aliases[alias as 'B']?.loaded,
          ),
        )
          ? r
          : undefined;
      });
      for (const [bot, aliases] of want) {
        const served = reply.models.find((m) => m.model === bot)!;
        for (const [alias, a] of Object.entries(aliases)) {
          if (!a) continue;
          expect(served.aliases[alias as 'B'], `${pod.metadata.name} ${bot} ${alias}`).toMatchObject({
            version: a.version,
            sha256: a.sha256,
            loaded: true,
          });
        }
      }
    }
    // the operator asks every ready endpoint of the Service (its EndpointSlices)
    const slices = kjson<{ items: { endpoints?: { conditions?: { ready?: boolean } }[] }[] }>(
      'get',
      'endpointslices',
      '-l',
      'kubernetes.io/service-name=rps-quest-game',
    ).items;
    expect(slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length).toBe(
      3,
    );
    await until('Served=True for every bot with three replicas', () =>
      BOTS.every((b) => condition(model(b), 'Served')?.status === 'True') ? true : undefined,
    );
  });

  it('plays whole games through the Service with the moves spread over the replicas', async () => {
    const pods = readyGamePods();
    const before = await Promise.all(pods.map((p) => counter(p, 'rpsq_moves_total')));
    const games = await Promise.all(BOTS.map(async (bot) => ({ id: await startGame(bot) })));
    const acks = await Promise.all(games.map((g) => play(g.id, 1)));
    for (const [i, ack] of acks.entries()) {
      expect(ack.at(-1)!.finished, games[i]!.id).toBe(true);
      const stored = (await send<GameReply>('GET', `/api/v1/games/${games[i]!.id}`)).body;
      expect(stored.finished).toBe(true);
      expect(stored.rounds.length).toBe(ack.length);
    }
    const after = await Promise.all(pods.map((p) => counter(p, 'rpsq_moves_total')));
    const taken = after.map((n, i) => n - before[i]!);
    // every replica took some of the moves, and the per-replica counters add up to all of them
    for (const [i, n] of taken.entries()) expect(n, pods[i]!.metadata.name).toBeGreaterThan(0);
    expect(taken.reduce((a, b) => a + b, 0)).toBe(acks.reduce((a, b) => a + b.length, 0));
  });

  it('loses no acknowledged move when a replica is deleted in the middle of a game, and the game goes on', async () => {
    const gameId = await startGame('logan');
    const acks = await play(gameId, 1, 4);
    const [victim] = readyGamePods();
    kubectl('delete', 'pod', victim!.metadata.name, '--wait=false');
    // while it terminates and its replacement starts, the game goes on through the Service
    await play(gameId, acks.at(-1)!.nextRound!, 200, acks);
    expect(acks.at(-1)!.finished).toBe(true);
    const stored = (await send<GameReply>('GET', `/api/v1/games/${gameId}`)).body;
    expect(stored.rounds.length).toBe(acks.length);
    for (const ack of acks) {
      expect(stored.rounds[ack.round - 1], `round ${ack.round}`).toMatchObject({
        round: ack.round,
        playerMove: ack.playerMove,
        botMove: ack.botMove,
        result: ack.result,
        playerScore: ack.playerScore,
        botScore: ack.botScore,
      });
    }
    await until('three replicas ready again, the deleted one replaced', () =>
      readyGamePods().length === 3 &&
      !allGamePods().some((p) => p.metadata.uid === victim!.metadata.uid) &&
      workload('deployment', 'rps-quest-game').status.availableReplicas === 3
        ? true
        : undefined,
    );
  });
});
