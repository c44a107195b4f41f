// The whole system through Argo CD on the real node: a real Argo CD (hack/harness/argocd.ts, host
// processes) syncs the node's config/default (hack/cluster/overlay, which `make cluster` applied
// with kubectl) from a local git repository through the rps-quest Application as committed in
// config/argocd; it adopts what runs, runs the bucket hook, reads Healthy, and the game answers.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARGOCD_NAMESPACE,
  binary,
  initConfigRepo,
  startArgoCd,
  type ArgoCd,
} from '../../hack/harness/index.ts';
import { cluster, repo } from './cluster-env.ts';

const { gameUrl, kubeconfig } = cluster();
const SYSTEM = 'rps-quest';

function kubectl(...args: string[]): string {
  return execFileSync(binary('kubectl'), ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
const apply = (yaml: string) =>
  execFileSync(binary('kubectl'), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], {
    encoding: 'utf8',
    input: yaml,
  });

interface Application {
  metadata: { name: string };
  spec: { source: { repoURL: string; path: string } };
  status?: {
    sync?: { status?: string };
    health?: { status?: string };
    operationState?: { phase?: string; message?: string };
    resources?: { kind: string; name: string; health?: { status?: string; message?: string } }[];
  };
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}

let dir: string;
let argocd: ArgoCd;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rps-cluster-gitops-'));
  const gitDir = path.join(dir, 'git');
  const { url, git } = await initConfigRepo(gitDir);
  // the overlay and the component it takes the node's images from
  for (const dir of ['overlay', 'node'])
    cpSync(path.join(repo, 'hack', 'cluster', dir), path.join(gitDir, 'hack', 'cluster', dir), {
      recursive: true,
    });
  await git(['add', '-A']);
  await git(['commit', '-q', '-m', 'the real node overlay']);
  argocd = await startArgoCd({ kubeconfigPath: kubeconfig, dir: path.join(dir, 'argocd') });
  const docs = loadAll(
    readFileSync(path.join(repo, 'config/argocd/application.yaml'), 'utf8'),
  ) as Application[];
  const app = docs.find((d) => d.metadata.name === SYSTEM)!;
  app.spec.source.repoURL = url;
  app.spec.source.path = 'hack/cluster/overlay';
  apply(dump(app));
}, 300_000);

afterAll(async () => {
  // without its finalizer, deleting the Application leaves the system running as it was
  try {
    kubectl(
      '-n',
      ARGOCD_NAMESPACE,
      'patch',
      'application',
      SYSTEM,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    );
    kubectl('-n', ARGOCD_NAMESPACE, 'delete', 'application', SYSTEM);
  } catch {
    // never created
  }
  await argocd?.stop();
  kubectl('delete', 'namespace', ARGOCD_NAMESPACE, '--wait=false', '--ignore-not-found');
  kubectl(
    'delete',
    'crd',
    'applications.argoproj.io',
    'applicationsets.argoproj.io',
    'appprojects.argoproj.io',
    '--ignore-not-found',
  );
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('config/default through the Application in config/argocd', () => {
  it('syncs, runs the bucket hook, reads Healthy on every resource, and the game answers', async () => {
    const app = await until('the rps-quest Application Synced and Healthy', () => {
      const a = JSON.parse(
        kubectl('-n', ARGOCD_NAMESPACE, 'get', 'application', SYSTEM, '-o', 'json'),
      ) as Application;
      return a.status?.sync?.status === 'Synced' &&
        a.status.health?.status === 'Healthy' &&
        a.status.operationState?.phase === 'Succeeded'
        ? a
        : undefined;
    });
    const kinds = new Set(app.status?.resources?.map((r) => r.kind));
    for (const kind of ['CustomResourceDefinition', 'Deployment', 'StatefulSet', 'Secret', 'CronJob', 'Role'])
      expect(kinds, kind).toContain(kind);
    const unhealthy = (app.status?.resources ?? []).filter(
      (r) => r.health?.status !== undefined && r.health.status !== 'Healthy',
    );
    expect(unhealthy).toEqual([]);
    // the PostSync hook: Argo CD made the bucket Job anew and it completed
    const job = JSON.parse(
      kubectl('-n', 'rps-quest', 'get', 'job', 'rps-quest-minio-bucket', '-o', 'json'),
    ) as {
      metadata: { annotations?: Record<string, string> };
      status: { succeeded?: number };
    };
    expect(job.metadata.annotations?.['argocd.argoproj.io/hook']).toBe('PostSync');
    expect(job.status.succeeded).toBe(1);
    const models = (await (await fetch(`${gameUrl}/api/v1/models`)).json()) as {
      models: { model: string }[];
    };
    expect(models.models.map((m) => m.model).sort()).toEqual(['brian', 'forrest', 'logan']);
  });
});
