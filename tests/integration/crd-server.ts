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

/**
 * `kubectl wait --for=condition=Established` on both CRDs. Right after the apply, a CRD may have
 * no status.conditions yet, and kubectl then fails instead of waiting ("accessor error"): try again.
 */
export async function waitEstablished(kubectl: (...args: string[]) => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await kubectl(
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/rpsmodels.rpsquest.dev',
        'crd/promotionpolicies.rpsquest.dev',
      );
      return;
    } catch (err) {
      if (attempt >= 5 || !/accessor error/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
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
  await waitEstablished(kubectlAll);
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
