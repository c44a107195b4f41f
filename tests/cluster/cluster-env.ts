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
 * Switches the node's installation to config/scale (hack/cluster/scale: PostgreSQL, three game
 * servers, HPA, PDB). Server-side apply with --force-conflicts: the autoscaler may own replicas.
 */
export function switchToScale(): void {
  kubectl('apply', '--server-side', '--force-conflicts', '-k', path.join(repo, 'hack/cluster/scale'));
}

/**
 * Back to config/default (hack/cluster/overlay): the autoscaler first (it would hold the replicas
 * at 2 or more), and PostgreSQL goes but its claim (and data) stays for the next switch.
 */
export function switchToDefault(): void {
  kubectl('delete', 'hpa,pdb', 'rps-quest-game', '--ignore-not-found');
  kubectl('apply', '--server-side', '--force-conflicts', '-k', path.join(repo, 'hack/cluster/overlay'));
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
