import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, portBand, portFree, startProcess, supervise } from '../../hack/harness/index.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: string[] = [];
const logDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rpsq-harness-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('supervise (make dev restarts a component that dies)', () => {
  it('restarts a process that exits unexpectedly, with a doubling delay and one line each time', async () => {
    const dir = logDir();
    const lines: string[] = [];
    const sup = supervise(
      'crasher',
      () =>
        startProcess('crasher', process.execPath, ['-e', 'setTimeout(() => process.exit(3), 20)'], {
          logDir: dir,
        }),
      (line) => lines.push(line),
      { initialDelayMs: 50, maxDelayMs: 200 },
    );
    const started = Date.now();
    await until(() => sup.restarts() >= 3);
    await sup.stop();
    // 50 + 100 + 200 ms of backoff at least
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(/^crasher exited unexpectedly \(exit code 3\); restarting in 0\.05 s/),
      expect.stringMatching(/restarting in 0\.1 s/),
      expect.stringMatching(/restarting in 0\.2 s/),
    ]);
  });

  it('restarts a process killed with SIGKILL and names the signal; stop() ends it for good', async () => {
    const dir = logDir();
    const lines: string[] = [];
    const sup = supervise(
      'server',
      () => startProcess('server', process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { logDir: dir }),
      (line) => lines.push(line),
      { initialDelayMs: 10 },
    );
    const first = sup.current().child.pid!;
    process.kill(first, 'SIGKILL');
    await until(() => sup.restarts() === 1 && sup.current().child.pid !== first);
    expect(lines).toEqual([expect.stringMatching(/^server exited unexpectedly \(signal SIGKILL\)/)]);
    const second = sup.current().child.pid!;
    await sup.stop();
    expect(alive(second)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(sup.restarts()).toBe(1);
    expect(lines.length).toBe(1);
  });
});

describe('a harness process stopped with SIGTERM', () => {
  it('stops the children it started before it exits', async () => {
    const script = `
      import { startProcess } from ${JSON.stringify(path.join(repo, 'hack/harness/index.ts'))};
      const p = startProcess('sleeper', process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { logDir: ${JSON.stringify(logDir())} });
      console.log(p.child.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const childPid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    expect(alive(childPid)).toBe(true);
    const exited = new Promise<number | null>((resolve) => parent.once('exit', (code) => resolve(code)));
    parent.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(alive(childPid)).toBe(false);
  });
});

describe('freePort (servers started on the port it hands out)', () => {
  it('keeps each vitest worker to a band of its own, below the kernel ephemeral range and the NodePorts', () => {
    const bands = [0, 1, 2, 3].map((pool) => portBand({ VITEST_POOL_ID: String(pool) }, 32768));
    expect(bands).toEqual([
      { from: 20_000, to: 22_000 },
      { from: 22_000, to: 24_000 },
      { from: 24_000, to: 26_000 },
      { from: 26_000, to: 28_000 },
    ]);
    expect(portBand({}, 32768)).toEqual(bands[0]); // make dev, benchmarks
    expect(portBand({ VITEST_POOL_ID: '5' }, 32768)).toEqual(bands[0]); // five bands, then round again
    // an ephemeral range that starts lower leaves fewer bands, and none below the floor
    expect(portBand({ VITEST_POOL_ID: '2' }, 24_500)).toEqual({ from: 20_000, to: 22_000 });
    expect(portBand({}, 21_000)).toBeUndefined();
    expect(portBand({}, null)).toBeUndefined(); // no /proc: the kernel picks
  });

  it('hands out free ports of its band, never the same one twice', async () => {
    const band = portBand()!;
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(band.from);
      expect(port).toBeLessThan(band.to);
      expect(await portFree(port)).toBe(true);
    }
  });
});
