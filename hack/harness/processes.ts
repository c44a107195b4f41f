import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where hack/bins.sh caches the control-plane binaries. */
export function binDir(): string {
  return (
    process.env.RPS_BIN_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'rps-quest', 'bin')
  );
}

export function binary(
  name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kubectl' | 'minio',
): string {
  return path.join(binDir(), name);
}

/** Whether a TCP port on the loopback interface can be bound now. */
export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const running = new Set<ChildProcess>();
// A test runner or `make dev` that dies must not leave servers behind holding ports.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** resolves with the exit code once the process has ended */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts a long-running process with its output appended to `<logDir>/<name>.log`. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { logDir: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Managed {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = path.join(opts.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
    child.once('error', (err) => {
      log.write(`failed to start ${command}: ${err.message}\n`);
      running.delete(child);
      resolve(-1);
    });
  });
  return {
    name,
    child,
    logFile,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Polls `check` until it returns true; fails with the process's last log lines if it dies or times out. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; process?: Managed } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let died = false;
  void opts.process?.exited.then(() => (died = true));
  while (Date.now() < deadline) {
    if (died) {
      throw new Error(
        `${what} exited during start-up; last lines of ${opts.process?.logFile}:\n${logTail(opts.process!.logFile)}`,
      );
    }
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${what}: not ready after ${opts.timeoutMs ?? 60_000} ms${opts.process ? `; see ${opts.process.logFile}` : ''}`,
  );
}
