import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Move } from '../../core/index.ts';
import { lockRoundsForInsert } from '../../app/db/pg-sql.ts';
import { freePort, startProcess, waitFor, type Managed } from '../../hack/harness/index.ts';
import { startPostgres, type PostgresServer } from '../../hack/harness/postgres.ts';

// Three game server processes on one PostgreSQL, moves of each game spread over all of them.
const REPO = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'app-replicas-'));
const MOVES: Move[] = ['rock', 'paper', 'scissors'];
const PLAYERS = 64;
const TOKEN = 'replicas-internal-token';

interface Replica {
  name: string;
  url: string;
  proc: Managed;
  alive: boolean;
}

interface Ack {
  gameId: string;
  round: number;
  replica: string;
  playerMove: Move;
  botMove: Move;
  playerScore: number;
  botScore: number;
}

let server: PostgresServer;
let dbUrl: string;
const replicas: Replica[] = [];

beforeAll(async () => {
  server = await startPostgres({ dir });
  dbUrl = await server.createDatabase('games');
  // started together: the migrations' advisory lock makes them apply the schema once
  await Promise.all(['app-a', 'app-b', 'app-c'].map((name) => startReplica(name)));
});

afterAll(async () => {
  for (const r of replicas) await r.proc.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a game server process; waits until it is ready, or only until it answers when `ready` is false. */
async function startReplica(name: string, ready = true): Promise<Replica> {
  const port = await freePort();
  const proc = startProcess(name, process.execPath, ['--import', 'tsx', 'tests/support/app-main.ts'], {
    logDir: join(dir, 'logs'),
    cwd: REPO,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      RPS_DATABASE_URL: dbUrl,
      RPS_RATE_LIMIT: '10000000',
      RPS_INTERNAL_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
    },
  });
  const replica: Replica = { name, url: `http://127.0.0.1:${port}`, proc, alive: true };
  replicas.push(replica);
  const probe = ready ? '/readyz' : '/healthz';
  await waitFor(`${name} ${probe}`, async () => (await fetch(`${replica.url}${probe}`)).ok, {
    process: proc,
  });
  return replica;
}

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> } | null> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch(() => null);
  if (!res) return null;
  const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  return json ? { status: res.status, body: json } : null; // no whole body: not acknowledged
}

let turn = 0;
/** the next live replica, round-robin */
function next(skip?: Replica): Replica {
  for (let i = 0; i < replicas.length * 2; i++) {
    const r = replicas[turn++ % replicas.length]!;
    if (r.alive && r !== skip) return r;
  }
  throw new Error('no live replica');
}

/**
 * A player: starts games and plays rounds, each request to the next replica; a failed request is
 * retried on another replica; about one move in five is also re-sent to another replica, which must
 * answer the stored result.
 */
async function player(p: number, moves: number, acks: Ack[], retries: { same: number; total: number }) {
  let gameId: string | null = null;
  let round = 1;
  let failures = 0;
  const fail = (what: string, status: number | undefined) => {
    if (++failures > 30)
      throw new Error(`player ${p}: ${what} failed 30 times (last status ${status ?? 'none'})`);
  };
  for (let made = 0; made < moves;) {
    if (!gameId) {
      const started = await post(`${next().url}/api/v1/games`, { bot: ['brian', 'forrest', 'logan'][p % 3] });
      if (started?.status !== 201) {
        fail('starting a game', started?.status);
        continue;
      }
      gameId = started.body.gameId as string;
      round = 1;
    }
    const move = MOVES[(p * 7 + round * 5 + made) % 3]!;
    const target = next();
    const res = await post(`${target.url}/api/v1/games/${gameId}/moves`, { round, move });
    if (res?.status !== 200) {
      fail(`round ${round} of ${gameId}`, res?.status); // retried (another replica) on the next pass
      continue;
    }
    const b = res.body as unknown as Ack & { finished: boolean };
    acks.push({
      gameId,
      round,
      replica: target.name,
      playerMove: b.playerMove,
      botMove: b.botMove,
      playerScore: b.playerScore,
      botScore: b.botScore,
    });
    if ((p + made) % 5 === 0) {
      const again = await post(`${next(target).url}/api/v1/games/${gameId}/moves`, { round, move });
      if (again?.status === 200) {
        retries.total++;
        if (again.body.botMove === b.botMove && again.body.playerScore === b.playerScore) retries.same++;
      }
    }
    made++;
    if (b.finished) gameId = null;
    else round++;
  }
}

/** every stored game's rounds are 1..n with no gap, and every acknowledged move is stored as answered */
async function checkStored(acks: Ack[]): Promise<void> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const gaps = await client.query(
      `SELECT g.id FROM games g LEFT JOIN rounds r ON r.game_id = g.id
       GROUP BY g.id, g.rounds_played
       HAVING COUNT(r.id) <> g.rounds_played OR COALESCE(MAX(r.round), 0) <> g.rounds_played`,
    );
    expect(gaps.rows).toEqual([]);
    const { rows } = await client.query<{
      game_id: string;
      round: number;
      player_move: string;
      bot_move: string;
      player_score: number;
    }>('SELECT game_id, round, player_move, bot_move, player_score FROM rounds');
    const stored = new Map(rows.map((r) => [`${r.game_id}/${r.round}`, r]));
    for (const a of acks) {
      expect(stored.get(`${a.gameId}/${a.round}`)).toMatchObject({
        player_move: a.playerMove,
        bot_move: a.botMove,
        player_score: a.playerScore,
      });
    }
  } finally {
    await client.end();
  }
}

describe('three game servers on one PostgreSQL', () => {
  it('stores every round once, in order, whichever replica takes it; retries answer the stored result', async () => {
    const acks: Ack[] = [];
    const retries = { same: 0, total: 0 };
    await Promise.all(Array.from({ length: PLAYERS }, (_, p) => player(p, 12, acks, retries)));
    expect(acks.length).toBe(PLAYERS * 12);
    expect(new Set(acks.map((a) => a.replica)).size).toBe(3);
    expect(retries.total).toBeGreaterThan(0);
    expect(retries.same).toBe(retries.total);
    await checkStored(acks);
  });

  it('keeps every move a replica acknowledged before kill -9; its games go on at the others', async () => {
    const acks: Ack[] = [];
    const retries = { same: 0, total: 0 };
    const victim = replicas[0]!;
    const load = Promise.all(Array.from({ length: PLAYERS }, (_, p) => player(p + 100, 16, acks, retries)));
    await expect
      .poll(() => acks.filter((a) => a.replica === victim.name).length, { timeout: 60_000 })
      .toBeGreaterThan(50);
    victim.proc.child.kill('SIGKILL');
    victim.alive = false;
    await load;
    expect(victim.proc.child.signalCode).toBe('SIGKILL');
    expect(acks.length).toBe(PLAYERS * 16);
    expect(retries.same).toBe(retries.total);
    await checkStored(acks);
  });

  it('answers the export 503 EXPORT_BUSY while a transaction that inserts rounds hangs, and exports once it ends', async () => {
    const exportUrl = () => `${next().url}/api/v1/export/events?since=0&limit=10`;
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    // a writer (of a replica not among these) that took the insert lock and stopped
    const hung = new pg.Client({ connectionString: dbUrl });
    await hung.connect();
    try {
      await hung.query('BEGIN');
      await lockRoundsForInsert(hung);
      const res = await fetch(exportUrl(), auth);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('EXPORT_BUSY');
      expect(body.message).toMatch(/the export waited \d+ ms for the transactions that insert rounds to end/);
    } finally {
      await hung.query('ROLLBACK');
      await hung.end();
    }
    const res = await fetch(exportUrl(), auth);
    expect(res.status).toBe(200);
    // the rounds the tests before stored, if any: the page ends at the last one
    const lines = (await res.text()).split('\n').filter(Boolean);
    expect(res.headers.get('x-next-since')).toBe(lines.length ? String(JSON.parse(lines.at(-1)!).id) : '0');
  });

  it('answers 503 while PostgreSQL is away and serves again once it is back, without a restart', async () => {
    const live = replicas.filter((r) => r.alive);
    const started = await post(`${live[0]!.url}/api/v1/games`, { bot: 'brian' });
    const gameId = started!.body.gameId as string;
    await server.stop();
    try {
      for (const r of live) {
        expect((await fetch(`${r.url}/readyz`)).status).toBe(503);
        const res = await post(`${r.url}/api/v1/games/${gameId}/moves`, { round: 1, move: 'rock' });
        expect(res?.status).toBe(503);
        expect(res?.body.code).toBe('DATABASE_UNAVAILABLE');
      }
    } finally {
      await server.restart();
    }
    for (const r of live) {
      await expect.poll(async () => (await fetch(`${r.url}/readyz`)).status, { timeout: 30_000 }).toBe(200);
    }
    const moved = await post(`${live[1]!.url}/api/v1/games/${gameId}/moves`, { round: 1, move: 'rock' });
    expect(moved?.status).toBe(200);
    const retried = await post(`${live[0]!.url}/api/v1/games/${gameId}/moves`, { round: 1, move: 'rock' });
    expect(retried?.body.botMove).toBe(moved?.body.botMove);
  });

  it('starts a replica while PostgreSQL is down: not ready and 503 until it is up, then it serves', async () => {
    await server.stop();
    let late: Replica;
    try {
      late = await startReplica('app-late', false);
      expect((await fetch(`${late.url}/readyz`)).status).toBe(503);
      const res = await post(`${late.url}/api/v1/games`, { bot: 'brian' });
      expect(res?.status).toBe(503);
      expect(res?.body.code).toBe('DATABASE_UNAVAILABLE');
      for (const route of ['/api/v1/bots', '/api/v1/dashboard']) {
        expect((await fetch(`${late.url}${route}`)).status, route).toBe(503);
      }
      expect(late.proc.child.exitCode).toBeNull();
    } finally {
      await server.restart();
    }
    await expect.poll(async () => (await fetch(`${late.url}/readyz`)).status, { timeout: 30_000 }).toBe(200);
    const started = await post(`${late.url}/api/v1/games`, { bot: 'brian' });
    expect(started?.status).toBe(201);
    const gameId = started!.body.gameId as string;
    const other = replicas.find((r) => r.alive && r !== late)!;
    const moved = await post(`${other.url}/api/v1/games/${gameId}/moves`, { round: 1, move: 'paper' });
    expect(moved?.status).toBe(200);
  });
});
