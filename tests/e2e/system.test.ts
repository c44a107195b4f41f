// The whole system as a user meets it: `rpsq dev` (what `make dev` runs) brings up the control
// plane, MinIO, the operator, the game server and the samples; a browser plays every bot;
// kubectl shows the versions; train-now produces a version the game server loads without a
// restart while a game is in progress; `make down` leaves no process behind.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelsReply } from '../../core/index.ts';
import { launchChromium } from '../support/browser.ts';
import { isAlive, repo, startDevStack, type DevStack } from '../support/dev-stack.ts';

const RESULTS = path.join(repo, 'test-results');
const BOTS = ['Brian', 'Forrest', 'Logan'];
let dir: string;
let stack: DevStack;
let browser: Browser;

interface RpsModelList {
  items: {
    metadata: { name: string };
    status?: { aliases?: Record<string, string>; versions?: { name: string }[] };
  }[];
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** the pid of the game server process (`rpsq app`) under the dev stack */
function gameServerPid(): number {
  const pid = stack.descendants().find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .slice(-2)
        .join(' ')
        .endsWith('cli.ts app');
    } catch {
      return false;
    }
  });
  if (!pid) throw new Error('no game server process under rpsq dev');
  return pid;
}

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  dir = mkdtempSync(path.join(tmpdir(), 'rps-dev-'));
  stack = await startDevStack(dir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (stack && isAlive(stack.child.pid!)) stack.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('make dev', () => {
  it('prints the game URL, the KUBECONFIG and kubectl commands to try', () => {
    const out = stack.output();
    expect(out).toContain(`Play:        ${stack.url}`);
    expect(out).toContain(`export KUBECONFIG=${stack.kubeconfig}`);
    expect(out).toContain('kubectl get rpsquest -n rps-quest');
  });

  it('shows every bot with a Production version in kubectl, served by the game server', async () => {
    const list = JSON.parse(stack.kubectl('get', 'rpsm', '-o', 'json')) as RpsModelList;
    expect(list.items.map((m) => m.metadata.name).sort()).toEqual(['brian', 'forrest', 'logan']);
    for (const m of list.items) expect(m.status?.aliases?.Production).toMatch(/^v\d+$/);
    const table = stack.kubectl('get', 'rpsquest');
    expect(table).toMatch(/brian\s+mlp\s+v\d+/);
    expect(table).toMatch(/promotionpolicy\.rpsquest\.dev\/default/);
    const models = await json<ModelsReply>(`${stack.url}/api/v1/models`);
    for (const m of models.models) expect(m.aliases.Production?.loaded).toBe(true);
  });

  it('lets a browser play a whole game against each bot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    for (const bot of BOTS) {
      await page.goto(stack.url);
      await page.locator('.bot-card', { hasText: bot }).click();
      await expect.poll(() => page.locator('#play').isVisible()).toBe(true);
      const moves = ['rock', 'paper', 'scissors'];
      for (let i = 0; i < 200 && !(await page.locator('#end').isVisible()); i++) {
        const round = await page.locator('#round-label').textContent();
        await page.locator(`.move[data-move="${moves[(i * 7 + bot.length) % 3]}"]`).click();
        await page.waitForFunction(
          (before) =>
            !document.getElementById('end')!.hidden ||
            document.getElementById('round-label')!.textContent !== before,
          round,
        );
      }
      expect(await page.locator('#end-title').textContent()).toMatch(
        new RegExp(`^(You win!|${bot} wins|It's a tie)$`),
      );
      // the version that played is revealed only now, and it is a trained one
      expect(await page.locator('#end-version').textContent()).toMatch(
        new RegExp(`^${bot} played model version v\\d+ \\((Production|B)\\)$`),
      );
      await page.screenshot({ path: path.join(RESULTS, `system-${bot.toLowerCase()}-end.png`) });
    }
    await page.close();
  });

  it('trains a new version on train-now and serves it without a restart, while a game goes on', async () => {
    const before = gameServerPid();
    // a game in progress against Logan
    const game = await json<{ gameId: string; round: number }>(`${stack.url}/api/v1/games`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bot: 'logan' }),
    });
    const move = (round: number, m: string) =>
      json<{ finished: boolean; nextRound: number | null }>(
        `${stack.url}/api/v1/games/${game.gameId}/moves`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ round, move: m }),
        },
      );
    await move(1, 'rock');
    let reply = await move(2, 'paper');

    const versionsBefore = (
      JSON.parse(stack.kubectl('get', 'rpsm', 'logan', '-o', 'json')) as RpsModelList['items'][0]
    ).status!.versions!.map((v) => v.name);
    stack.kubectl('annotate', 'rpsm', 'logan', `rpsquest.dev/train-now=${Date.now()}`, '--overwrite');
    const newVersion = await until('a new version of logan', async () => {
      const m = JSON.parse(stack.kubectl('get', 'rpsm', 'logan', '-o', 'json')) as RpsModelList['items'][0];
      return m.status?.versions?.map((v) => v.name).find((v) => !versionsBefore.includes(v));
    });
    await until('the game server to load it', async () => {
      const models = await json<ModelsReply>(`${stack.url}/api/v1/models`);
      const logan = models.models.find((m) => m.model === 'logan');
      return Object.values(logan?.aliases ?? {}).some((a) => a?.version === newVersion && a.loaded)
        ? true
        : undefined;
    });
    // the same process still serves, and the game in progress goes on to its end
    expect(gameServerPid()).toBe(before);
    for (let i = 0; i < 200 && !reply.finished; i++)
      reply = await move(reply.nextRound!, ['scissors', 'rock', 'paper'][i % 3]!);
    expect(reply.finished).toBe(true);
  });

  it('restarts a game server killed with SIGKILL, says so in one line, and keeps its data', async () => {
    const game = await json<{ gameId: string }>(`${stack.url}/api/v1/games`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bot: 'brian' }),
    });
    const killed = gameServerPid();
    process.kill(killed, 'SIGKILL');
    await until('a new game server process serving', async () => {
      const pid = (() => {
        try {
          return gameServerPid();
        } catch {
          return undefined;
        }
      })();
      if (!pid || pid === killed) return undefined;
      return (await fetch(`${stack.url}/readyz`)).ok ? true : undefined;
    });
    const lines = stack
      .output()
      .split('\n')
      .filter((l) => l.includes('exited unexpectedly'));
    expect(lines).toEqual([
      expect.stringMatching(/^dev: game server exited unexpectedly \(signal SIGKILL\); restarting in 1 s/),
    ]);
    // the game started before the crash is still there
    expect((await json<{ gameId: string }>(`${stack.url}/api/v1/games/${game.gameId}`)).gameId).toBe(
      game.gameId,
    );
  });

  it('stops everything on make down', async () => {
    const processes = stack.descendants();
    expect(processes.length).toBeGreaterThanOrEqual(6); // etcd, apiserver, controller-manager, MinIO, app, operator
    expect(await stack.down()).toContain('stopped');
    await until(
      'every process to end',
      async () => ([stack.child.pid!, ...processes].every((p) => !isAlive(p)) ? true : undefined),
      30_000,
    );
    await expect(fetch(`${stack.url}/healthz`)).rejects.toThrow();
  });
});
