import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startProcess, waitFor, type Managed } from '../../hack/harness/index.ts';
import type { Move } from '../../core/index.ts';

const REPO = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'app-crash-'));
const dbPath = join(dir, 'games.db');
const started: Managed[] = [];

afterAll(async () => {
  for (const p of started) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(name: string, db = dbPath): Promise<{ url: string; proc: Managed }> {
  const port = await freePort();
  const proc = startProcess(name, process.execPath, ['--import', 'tsx', 'tests/support/app-main.ts'], {
    logDir: join(dir, 'logs'),
    cwd: REPO,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      RPS_DB: db,
      RPS_RATE_LIMIT: '10000000',
      LOG_LEVEL: 'warn',
    },
  });
  started.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${name} ready`, async () => (await fetch(`${url}/readyz`)).ok, { process: proc });
  return { url, proc };
}

interface Acknowledged {
  gameId: string;
  round: number;
  playerMove: Move;
  botMove: Move;
  playerScore: number;
  botScore: number;
}

const MOVES: Move[] = ['rock', 'paper', 'scissors'];

describe('the game server process', () => {
  it('loses no acknowledged move', async () => {
    const first = await startServer('app-1');
    const acknowledged: Acknowledged[] = [];
    const target = 600;
    let killed = false;

    const player = async (p: number) => {
      while (!killed) {
        const start = await fetch(`${first.url}/api/v1/games`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ bot: ['brian', 'forrest', 'logan'][p % 3] }),
        }).catch(() => null);
        if (!start?.ok) return;
        const { gameId } = (await start.json()) as { gameId: string };
        for (let round = 1; !killed; round++) {
          const move = MOVES[(p + round * 7) % 3]!;
          const res = await fetch(`${first.url}/api/v1/games/${gameId}/moves`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ round, move }),
          }).catch(() => null);
          if (!res?.ok) return;
          const body = (await res.json().catch(() => null)) as (Acknowledged & { finished: boolean }) | null;
          if (!body) return; // the connection died mid-answer: not acknowledged
          acknowledged.push({
            gameId,
            round,
            playerMove: body.playerMove,
            botMove: body.botMove,
            playerScore: body.playerScore,
            botScore: body.botScore,
          });
          if (acknowledged.length >= target && !killed) {
            killed = true;
            first.proc.child.kill('SIGKILL'); // while the other players' requests are in flight
          }
          if (body.finished) break;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, p) => player(p)));
    await first.proc.exited;
    expect(first.proc.child.signalCode).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(target);

    const second = await startServer('app-2');
    const byGame = new Map<string, Acknowledged[]>();
    for (const a of acknowledged) byGame.set(a.gameId, [...(byGame.get(a.gameId) ?? []), a]);
    for (const [gameId, acks] of byGame) {
      const res = await fetch(`${second.url}/api/v1/games/${gameId}`);
      expect(res.status).toBe(200);
      const game = (await res.json()) as { rounds: Acknowledged[]; finished: boolean; round: number | null };
      for (const a of acks) {
        expect(game.rounds[a.round - 1]).toMatchObject({
          round: a.round,
          playerMove: a.playerMove,
          botMove: a.botMove,
          playerScore: a.playerScore,
          botScore: a.botScore,
        });
      }
      // the game goes on where the database says it stopped
      if (!game.finished) {
        const next = await fetch(`${second.url}/api/v1/games/${gameId}/moves`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ round: game.round, move: 'rock' }),
        });
        expect(next.status).toBe(200);
      }
    }
  });

  it('drains and exits 0 on SIGTERM, keeping every answered move', async () => {
    const server = await startServer('app-term', join(dir, 'term.db'));
    const start = await fetch(`${server.url}/api/v1/games`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bot: 'Logan' }),
    });
    const { gameId } = (await start.json()) as { gameId: string };
    for (let round = 1; round <= 5; round++) {
      const res = await fetch(`${server.url}/api/v1/games/${gameId}/moves`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ round, move: MOVES[round % 3] }),
      });
      expect(res.status).toBe(200);
    }
    server.proc.child.kill('SIGTERM');
    expect(await server.proc.exited).toBe(0);
    const again = await startServer('app-term-2', join(dir, 'term.db'));
    const game = (await (await fetch(`${again.url}/api/v1/games/${gameId}`)).json()) as { rounds: unknown[] };
    expect(game.rounds).toHaveLength(5);
  });
});
