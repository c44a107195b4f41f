// Global setup of the cluster tests: uses a running `make cluster`, or starts one (and stops it
// again afterwards). Needs root and Linux.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CLUSTER_JSON, repo } from './cluster-env.ts';

const script = path.join(repo, 'hack', 'cluster.sh');
const running = () => {
  try {
    return execFileSync('bash', [script, 'status'], { encoding: 'utf8' }).includes(
      'kube-apiserver           pid',
    );
  } catch {
    return false;
  }
};

export default function setup(): () => Promise<void> {
  if (running() && existsSync(CLUSTER_JSON)) return async () => undefined;
  execFileSync('bash', [script, 'up'], { stdio: 'inherit' });
  // asynchronous: a synchronous stop (about 20 s) would block vitest's own event loop while it
  // ends the last file's worker, which then times out ("Timeout terminating forks worker")
  return () =>
    new Promise<void>((resolve, reject) => {
      spawn('bash', [script, 'down'], { stdio: 'inherit' })
        .once('error', reject)
        .once('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`${script} down exited with ${code}`)),
        );
    });
}
