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

/** A port the kernel picks (bind to port 0), free when it answers. */
async function kernelPort(): Promise<number> {
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

const PORT_FLOOR = 20_000;
/** NodePorts (30000–32767) stay clear too */
const PORT_CEILING = 30_000;
const PORT_BAND = 2_000;

/**
 * The ports this process hands out: below the kernel's ephemeral range (ip_local_port_range), where
 * no outgoing connection takes one as its local port between the check and the server's bind, and
 * in a band of their own for each vitest worker (VITEST_POOL_ID, 1 to maxWorkers), so that the
 * files run side by side never pick the same port. Undefined where the range cannot be read.
 */
export function portBand(
  env: NodeJS.ProcessEnv = process.env,
  /** the first port of the ephemeral range; null where it cannot be read */
  ephemeral: number | null = readEphemeralLow(),
): { from: number; to: number } | undefined {
  if (ephemeral === null) return undefined;
  const bands = Math.floor((Math.min(ephemeral, PORT_CEILING) - PORT_FLOOR) / PORT_BAND);
  if (bands < 1) return undefined;
  const pool = Number(env.VITEST_POOL_ID ?? 0);
  const k = (Number.isInteger(pool) && pool >= 0 ? pool : 0) % bands;
  return { from: PORT_FLOOR + k * PORT_BAND, to: PORT_FLOOR + (k + 1) * PORT_BAND };
}

function readEphemeralLow(): number | null {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : null;
  } catch {
    return null;
  }
}

const handedOut = new Set<number>();

/**
 * A free TCP port on the loopback interface for a server started next: one of this process's band
 * (`portBand`) that it has not handed out before, else one the kernel picks. A port from the
 * kernel's ephemeral range could be taken by an outgoing connection before the server binds it
 * (seen: MinIO's `bind: address already in use` with three integration files side by side).
 */
export async function freePort(): Promise<number> {
  const band = portBand();
  for (let tries = 0; band && tries < 100; tries++) {
    const port = band.from + Math.floor(Math.random() * (band.to - band.from));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the check: calls side by side never both take it
    if (await portFree(port)) return port;
    handedOut.delete(port);
  }
  return kernelPort();
}

const running = new Set<ChildProcess>();
// A test runner or `make dev` that dies must not leave servers behind holding ports.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
// A benchmark or test process stopped with SIGTERM or SIGINT would exit without 'exit' handlers:
// unless the program handles the signal itself (make dev stops its components in order), the
// children stop first, then the process, with the signal's exit status.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, function stopChildren() {
    if (process.listeners(signal).some((l) => l !== stopChildren)) return;
    for (const child of running) child.kill('SIGTERM');
    const deadline = Date.now() + 5000;
    const check = setInterval(() => {
      if (running.size > 0 && Date.now() < deadline) return;
      clearInterval(check);
      for (const child of running) child.kill('SIGKILL');
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    }, 50);
  });
}

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
  opts: {
    logDir: string;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** run as this user and group (a server that refuses to run as root) */
    uid?: number;
    gid?: number;
    /** what stop() sends first (default SIGTERM), and how long it waits before SIGKILL (default 5 s) */
    stopSignal?: NodeJS.Signals;
    stopTimeoutMs?: number;
  },
): Managed {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = path.join(opts.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
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
      child.kill(opts.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.stopTimeoutMs ?? 5000);
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

export interface Supervised {
  name: string;
  logFile: string;
  /** the process running now (a new one after each restart) */
  current(): Managed;
  /** how many times it was restarted */
  restarts(): number;
  stop(): Promise<void>;
}

/**
 * Runs a process like `startProcess` and starts it again when it exits without being asked to,
 * like a kubelet would: after 1 s, doubling up to 30 s while it keeps failing (back to 1 s once
 * it ran a minute), with one line through `report` per restart.
 */
export function supervise(
  name: string,
  start: () => Managed,
  report: (line: string) => void,
  opts: { initialDelayMs?: number; maxDelayMs?: number; healthyMs?: number } = {},
): Supervised {
  const initial = opts.initialDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 30_000;
  const healthy = opts.healthyMs ?? 60_000;
  let proc = start();
  let delay = initial;
  let count = 0;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const watch = (p: Managed) => {
    const startedAt = Date.now();
    void p.exited.then((code) => {
      if (stopping || p !== proc) return;
      if (Date.now() - startedAt >= healthy) delay = initial;
      const how = p.child.signalCode ? `signal ${p.child.signalCode}` : `exit code ${code}`;
      report(`${name} exited unexpectedly (${how}); restarting in ${delay / 1000} s (see ${p.logFile})`);
      timer = setTimeout(() => {
        if (stopping) return;
        count++;
        proc = start();
        watch(proc);
      }, delay);
      delay = Math.min(delay * 2, max);
    });
  };
  watch(proc);
  return {
    name,
    logFile: proc.logFile,
    current: () => proc,
    restarts: () => count,
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await proc.stop();
    },
  };
}
