import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { binary } from '../../hack/harness/index.ts';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** What `make cluster` writes once the bots serve (hack/cluster.sh). */
export const CLUSTER_JSON = path.join(repo, '.cluster', 'cluster.json');
/** The namespace of the system. */
export const NS = 'rps-quest';

export interface ClusterInfo {
  gameUrl: string;
  dashboardUrl: string;
  kubeconfig: string;
  readyMs: number;
  imagesMs: number;
}

export function cluster(): ClusterInfo {
  if (!existsSync(CLUSTER_JSON)) {
    throw new Error(`${CLUSTER_JSON} is missing: the cluster tests need \`make cluster\` (root, Linux)`);
  }
  return JSON.parse(readFileSync(CLUSTER_JSON, 'utf8')) as ClusterInfo;
}

/** kubectl against the node, in the system's namespace; stdout */
export function kubectl(...args: string[]): string {
  return execFileSync(binary('kubectl'), ['--kubeconfig', cluster().kubeconfig, '-n', NS, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
/**
 * The game Deployment differs between config/default and config/scale by fields the other removes
 * (RPS_DB, the SQLite volume, the database URL), and a server-side apply removes only the fields no
 * other manager holds (Argo CD, in tests/cluster/gitops.test.ts, holds those of config/default). So
 * a switch deletes the Deployment (and waits for its pods) before applying the other installation:
 * the game is down for the moment of the switch, as the two keep different games anyway.
 */
function replaceInstallation(dir: string): void {
  kubectl(
    'delete',
    'deployment',
    'rps-quest-game',
    '--cascade=foreground',
    '--wait=true',
    '--ignore-not-found',
  );
  kubectl('apply', '--server-side', '--force-conflicts', '-k', path.join(repo, dir));
}

/** Switches the node's installation to config/scale (hack/cluster/scale: PostgreSQL, three game servers, HPA, PDB). */
export function switchToScale(): void {
  replaceInstallation('hack/cluster/scale');
}

/**
 * Back to config/default (hack/cluster/overlay): the autoscaler first (it would scale the new
 * Deployment), and PostgreSQL goes but its claim (and data) stays for the next switch.
 */
export function switchToDefault(): void {
  kubectl('delete', 'hpa,pdb', 'rps-quest-game', '--ignore-not-found');
  replaceInstallation('hack/cluster/overlay');
  kubectl(
    'delete',
    'statefulset/rps-quest-postgres',
    'service/rps-quest-postgres',
    'secret/rps-quest-postgres',
    '--ignore-not-found',
  );
}

export const kjson = <T>(...args: string[]): T => JSON.parse(kubectl(...args, '-o', 'json')) as T;

/** Polls `fn` every 500 ms until it returns a value (not undefined); throws its last error at the end. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 240_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}

export async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
export const post = <T>(url: string, body: unknown) =>
  json<T>(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
export interface RpsModel {
  metadata: { name: string; generation: number };
  status?: {
    versions?: { name: string; sha256: string; job?: string }[];
    aliases?: Record<string, string>;
    conditions?: Condition[];
  };
}
export const model = (name: string) => kjson<RpsModel>('get', 'rpsm', name);
export const condition = (m: RpsModel, type: string) => m.status?.conditions?.find((c) => c.type === type);
