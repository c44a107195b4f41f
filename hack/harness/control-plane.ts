import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { binary, freePort, startProcess, waitFor, type Managed } from './processes.ts';

export interface ControlPlane {
  /** admin kubeconfig, usable by kubectl */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** https://127.0.0.1:<port> */
  server: string;
  token: string;
  logDir: string;
  stop(): Promise<void>;
}

/** The controllers that stand in for a cluster's: what Jobs, Deployments and namespaces need. */
export const CONTROLLERS = [
  'job',
  'garbagecollector',
  'namespace',
  'serviceaccount',
  'serviceaccount-token',
  'deployment',
  'replicaset',
  'ttl-after-finished',
  'cronjob',
];

function httpsGet(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export function kubeconfigYaml(server: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: rps-quest-local
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: ${token}
contexts:
- name: rps-quest-local
  context:
    cluster: rps-quest-local
    user: admin
    namespace: rps-quest
current-context: rps-quest-local
`;
}

/** Loads or creates the state that must survive a restart of the same directory (keys, token). */
function ensureIdentity(dir: string): { token: string; saKey: string; saPub: string; tokenFile: string } {
  const pki = path.join(dir, 'pki');
  mkdirSync(pki, { recursive: true });
  const saKey = path.join(pki, 'sa.key');
  const saPub = path.join(pki, 'sa.pub');
  if (!existsSync(saKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const tokenFile = path.join(pki, 'tokens.csv');
  let token: string;
  if (existsSync(tokenFile)) {
    token = readFileSync(tokenFile, 'utf8').split(',')[0]!;
  } else {
    token = randomBytes(24).toString('hex');
    writeFileSync(tokenFile, `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  }
  return { token, saKey, saPub, tokenFile };
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager on free loopback ports with their
 * state under `dir` (a second start on the same dir keeps the cluster's objects), waits for
 * readiness and writes an admin kubeconfig.
 */
export async function startControlPlane(opts: {
  dir: string;
  fsync?: boolean;
  logDir?: string;
}): Promise<ControlPlane> {
  const dir = path.resolve(opts.dir);
  const logDir = opts.logDir ?? path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const { token, saKey, saPub, tokenFile } = ensureIdentity(dir);
  const started: Managed[] = [];
  const stopAll = async () => {
    for (const p of started.reverse()) await p.stop();
  };
  try {
    const etcdPort = await freePort();
    const peerPort = await freePort();
    const etcd = startProcess(
      'etcd',
      binary('etcd'),
      [
        '--name=default',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        '--log-level=warn',
        ...(opts.fsync === false ? ['--unsafe-no-fsync'] : []),
      ],
      { logDir },
    );
    started.push(etcd);
    await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, {
      process: etcd,
    });

    const apiPort = await freePort();
    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = startProcess(
      'kube-apiserver',
      binary('kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${path.join(dir, 'pki', 'serving')}`,
        `--token-auth-file=${tokenFile}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=1',
      ],
      { logDir },
    );
    started.push(apiserver);
    await waitFor('kube-apiserver', async () => (await httpsGet(`${server}/readyz`, token)).status === 200, {
      process: apiserver,
      timeoutMs: 120_000,
    });

    const kubeconfigPath = path.join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, token), { mode: 0o600 });

    const kcmPort = await freePort();
    const kcm = startProcess(
      'kube-controller-manager',
      binary('kube-controller-manager'),
      [
        `--kubeconfig=${kubeconfigPath}`,
        `--controllers=${CONTROLLERS.join(',')}`,
        `--service-account-private-key-file=${saKey}`,
        '--use-service-account-credentials=false',
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        `--cert-dir=${path.join(dir, 'pki', 'kcm')}`,
        '--concurrent-job-syncs=5',
        '--v=1',
      ],
      { logDir },
    );
    started.push(kcm);
    // The serviceaccount controller creating `default` in kube-system shows the controllers are running.
    await waitFor(
      'kube-controller-manager',
      async () =>
        (await httpsGet(`${server}/api/v1/namespaces/kube-system/serviceaccounts/default`, token)).status ===
        200,
      { process: kcm, timeoutMs: 120_000 },
    );

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    return { kubeconfigPath, kubeConfig, server, token, logDir, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
