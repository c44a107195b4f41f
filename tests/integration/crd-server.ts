import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { binary, startControlPlane, type ControlPlane } from '../../hack/harness/index.ts';
import { makeKube, type Kube } from '../../operator/kube.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

export interface CrdServer {
  cp: ControlPlane;
  kube: Kube;
  /** kubectl in the namespace */
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** A real API server with the CRDs of crds/ established and `namespace` created (no operator). */
export async function startCrdServer(namespace: string): Promise<CrdServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rps-crds-'));
  const cp = await startControlPlane({ dir, fsync: false });
  const kube = makeKube(cp.kubeConfig);
  const kubectlAll = async (...args: string[]) =>
    (
      await run(binary('kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      })
    ).stdout;
  await kubectlAll('apply', '--server-side', '-f', path.join(repo, 'crds'));
  await kubectlAll(
    'wait',
    '--for=condition=Established',
    'crd/rpsmodels.rpsquest.dev',
    'crd/promotionpolicies.rpsquest.dev',
  );
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  return {
    cp,
    kube,
    kubectl: (...args) => kubectlAll('-n', namespace, ...args),
    stop: async () => {
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
