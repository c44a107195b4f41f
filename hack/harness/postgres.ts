import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort, portFree, startProcess, waitFor, type Managed } from './processes.ts';

export interface PostgresServer {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** a fresh, empty database on this server, for one test */
  createDatabase(name: string): Promise<string>;
  /** stops the server (fast shutdown: open connections are cut) and keeps the data */
  stop(): Promise<void>;
  /** starts it again on the same port and data after stop() */
  restart(): Promise<void>;
}

const USER = 'rpsquest';
const PASSWORD = 'rpsquest-secret';

/** The directory of Debian's PostgreSQL server binaries (`postgresql` package), newest version first. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `PostgreSQL: no server under ${root}/<version>/bin; run hack/deps.sh (Debian package postgresql)`,
    );
  }
  return path.join(root, versions[0]!, 'bin');
}

/**
 * Starts a real PostgreSQL server as a local process: `initdb` in `<dir>/postgres-data`, a free
 * loopback port, password authentication. The server refuses to run as root, so as root it runs as
 * `nobody` (the data directory is handed over to it).
 */
export async function startPostgres(opts: {
  dir: string;
  port?: number;
  logDir?: string;
}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const dataDir = path.join(opts.dir, 'postgres-data');
  const runDir = path.join(opts.dir, 'postgres-run');
  mkdirSync(runDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
  if (asRoot) {
    // the server's user must reach its directories: traverse (not read) the parent, own the rest
    chmodSync(opts.dir, statSync(opts.dir).mode | 0o011);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chownSync(dataDir, 65534, 65534);
    chownSync(runDir, 65534, 65534);
  }
  if (opts.port !== undefined && !(await portFree(opts.port))) {
    throw new Error(`PostgreSQL: port ${opts.port} on 127.0.0.1 is already in use`);
  }
  const port = opts.port ?? (await freePort());
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const pwFile = path.join(runDir, 'pwfile');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    chmodSync(pwFile, 0o600);
    if (asRoot) chownSync(pwFile, 65534, 65534);
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', USER, `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-locale'],
      { stdio: 'pipe', ...ids },
    );
  }
  const logDir = opts.logDir ?? path.join(opts.dir, 'logs');
  let proc: Managed;
  const start = async (): Promise<void> => {
    proc = startProcess(
      'postgres',
      path.join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-k',
        runDir,
        '-c',
        'max_connections=200',
        '-c',
        'fsync=on',
      ],
      // fast shutdown still writes a checkpoint: give it time on a busy machine
      { logDir, ...ids, stopSignal: 'SIGINT', stopTimeoutMs: 60_000 },
    );
    try {
      await waitFor('PostgreSQL', () => canConnect(url), { process: proc });
    } catch (err) {
      await proc.stop();
      throw err;
    }
  };
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await start();
  return {
    url,
    port,
    dataDir,
    get logFile() {
      return proc.logFile;
    },
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
        throw new Error(`PostgreSQL: database name "${name}" must be lower-case letters, digits and _`);
      }
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    stop: () => proc.stop(),
    restart: start,
  };
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
