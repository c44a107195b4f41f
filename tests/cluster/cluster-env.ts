import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** What `make cluster` writes once the bots serve (hack/cluster.sh). */
export const CLUSTER_JSON = path.join(repo, '.cluster', 'cluster.json');

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
