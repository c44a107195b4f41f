// Runs `rpsq dev` (what `make dev` runs) in a throw-away directory for the end-to-end tests.
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { binary, freePort } from '../../hack/harness/index.ts';

const execFileAsync = promisify(execFile);

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DevStack {
  dir: string;
  url: string;
  kubeconfig: string;
  child: ChildProcess;
  output: () => string;
  kubectl(...args: string[]): string;
  /** every process below the `rpsq dev` process, now */
  descendants(): number[];
  /** `make down` for this stack (asynchronous, so this process can reap the stack's exit) */
  down(): Promise<string>;
}

export function descendantsOf(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const child of parents.get(pid) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function startDevStack(dir: string, timeoutMs = 20 * 60_000): Promise<DevStack> {
  const port = await freePort();
  const env = { ...process.env, RPS_DEV_DIR: dir, PORT: String(port) };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'cli.ts'), 'dev'], {
    cwd: repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`rpsq dev not up after ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const check = setInterval(() => {
      if (out.includes('RPS Quest is up')) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 250);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`rpsq dev exited with ${code}:\n${out}`));
    });
  });
  const kubeconfig = path.join(dir, 'kubeconfig');
  return {
    dir,
    url: `http://127.0.0.1:${port}`,
    kubeconfig,
    child,
    output: () => out,
    kubectl: (...args: string[]) =>
      execFileSync(binary('kubectl'), ['--kubeconfig', kubeconfig, '-n', 'rps-quest', ...args], {
        encoding: 'utf8',
      }),
    descendants: () => descendantsOf(child.pid!),
    down: async () =>
      (
        await execFileAsync(process.execPath, ['--import', 'tsx', path.join(repo, 'hack', 'down.ts')], {
          cwd: repo,
          env,
          encoding: 'utf8',
        })
      ).stdout,
  };
}
