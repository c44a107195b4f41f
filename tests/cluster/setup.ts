// Global setup of the cluster tests: uses a running `make cluster`, or starts one (and stops it
// again afterwards). Needs root and Linux.
import { execFileSync } from 'node:child_process';
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

export default function setup(): () => void {
  if (running() && existsSync(CLUSTER_JSON)) return () => undefined;
  execFileSync('bash', [script, 'up'], { stdio: 'inherit' });
  return () => {
    execFileSync('bash', [script, 'down'], { stdio: 'inherit' });
  };
}
