import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dump, load } from 'js-yaml';
import { binDir, freePort, startProcess, waitFor, type Managed } from './processes.ts';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The namespace Argo CD's own objects (argocd-cm, Applications, the AppProject) live in. */
export const ARGOCD_NAMESPACE = 'argocd';

export interface ArgoCd {
  /** host:port of argocd-server's API (plaintext gRPC and HTTP) */
  server: string;
  adminPassword: string;
  workDir: string;
  logDir: string;
  /** runs the argocd CLI, logged in as admin against this server; resolves with its stdout */
  cli(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

interface ConfigMapYaml {
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
}

/** Argo CD's default argocd-cm from the release (cached by hack/bins.sh) with our health checks and actions. */
export function argocdConfigMap(): ConfigMapYaml {
  const manifests = path.join(binDir(), 'argocd-manifests');
  const base = load(readFileSync(path.join(manifests, 'argocd-cm.yaml'), 'utf8')) as ConfigMapYaml;
  const patch = load(
    readFileSync(path.join(repo, 'config', 'argocd', 'argocd-cm-patch.yaml'), 'utf8'),
  ) as ConfigMapYaml;
  return {
    ...base,
    metadata: { ...base.metadata, namespace: ARGOCD_NAMESPACE },
    data: { ...base.data, ...patch.data },
  };
}

/**
 * Starts a real Argo CD as host processes against the cluster in `kubeconfigPath`: redis,
 * argocd-repo-server, argocd-application-controller and argocd-server on free loopback ports,
 * everything they write under `dir`. Installs what an Argo CD install would into the cluster
 * first: the Application, ApplicationSet and AppProject CRDs, argocd-cm (the release's, with
 * config/argocd/argocd-cm-patch.yaml merged in), argocd-secret with a fresh admin password,
 * argocd-rbac-cm and the `default` AppProject. The binaries come from `hack/bins.sh gitops`.
 */
export async function startArgoCd(opts: {
  kubeconfigPath: string;
  dir: string;
  logDir?: string;
  /**
   * how often the controller compares each Application with git, and how long the repo-server
   * caches a branch's revision (Argo CD's timeout.reconciliation; default 3m)
   */
  reconciliation?: string;
}): Promise<ArgoCd> {
  const workDir = path.resolve(opts.dir);
  const logDir = opts.logDir ?? path.join(workDir, 'logs');
  const bin = binDir();
  const manifests = path.join(bin, 'argocd-manifests');
  for (const need of ['argocd', 'kustomize', 'argocd-manifests']) {
    if (!existsSync(path.join(bin, need))) {
      throw new Error(`Argo CD: ${path.join(bin, need)} is missing; run \`bash hack/bins.sh gitops\` first`);
    }
  }
  for (const sub of ['home', 'tmp', 'ssh', 'tls', 'gpg', 'plugins', 'static']) {
    mkdirSync(path.join(workDir, sub), { recursive: true });
  }
  const kubectl = (args: string[], input?: string) => {
    const p = run(path.join(bin, 'kubectl'), ['--kubeconfig', opts.kubeconfigPath, ...args], {
      encoding: 'utf8',
    });
    if (input !== undefined) p.child.stdin?.end(input);
    return p;
  };

  await kubectl([
    'apply',
    '--server-side',
    '-f',
    path.join(manifests, 'application-crd.yaml'),
    '-f',
    path.join(manifests, 'appproject-crd.yaml'),
    '-f',
    path.join(manifests, 'applicationset-crd.yaml'),
  ]);
  // a CRD created a moment ago may have no status yet, which `kubectl wait` fails on: poll instead
  await waitFor(
    'the Argo CD CRDs to be established',
    async () => {
      const { stdout } = await kubectl([
        'get',
        'crd',
        'applications.argoproj.io',
        'appprojects.argoproj.io',
        'applicationsets.argoproj.io',
        '-o',
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Established")].status}{" "}{end}',
      ]);
      return stdout.trim() === 'True True True';
    },
    { timeoutMs: 60_000 },
  );
  await kubectl(['create', 'namespace', ARGOCD_NAMESPACE]).catch((err: Error) => {
    if (!/AlreadyExists/.test(err.message)) throw err;
  });
  const adminPassword = randomBytes(12).toString('hex');
  const hash = (
    await run(path.join(bin, 'argocd'), ['account', 'bcrypt', '--password', adminPassword], {
      encoding: 'utf8',
    })
  ).stdout.trim();
  const rbac = load(readFileSync(path.join(manifests, 'argocd-rbac-cm.yaml'), 'utf8')) as ConfigMapYaml;
  const objects = [
    argocdConfigMap(),
    { ...rbac, metadata: { ...rbac.metadata, namespace: ARGOCD_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'argocd-secret',
        namespace: ARGOCD_NAMESPACE,
        labels: { 'app.kubernetes.io/name': 'argocd-secret', 'app.kubernetes.io/part-of': 'argocd' },
      },
      stringData: {
        'admin.password': hash,
        'admin.passwordMtime': new Date().toISOString(),
        'server.secretkey': randomBytes(32).toString('base64'),
      },
    },
    // argocd-server creates it on a cluster; the controller needs it before that
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace: ARGOCD_NAMESPACE },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    },
  ];
  await kubectl(
    ['apply', '--server-side', '--force-conflicts', '-f', '-'],
    objects.map((o) => dump(o)).join('---\n'),
  );

  const started: Managed[] = [];
  const stopAll = async () => {
    for (const p of started.reverse()) await p.stop();
  };
  // What every Argo CD process needs on a host: the cluster from KUBECONFIG instead of a pod's
  // service account, its files inside the work dir, no GnuPG, and kustomize/git from PATH.
  const env: NodeJS.ProcessEnv = {
    ARGOCD_FAKE_IN_CLUSTER: 'true',
    KUBECONFIG: opts.kubeconfigPath,
    ARGOCD_GPG_ENABLED: 'false',
    HOME: path.join(workDir, 'home'),
    TMPDIR: path.join(workDir, 'tmp'),
    ARGOCD_SSH_DATA_PATH: path.join(workDir, 'ssh'),
    ARGOCD_TLS_DATA_PATH: path.join(workDir, 'tls'),
    ARGOCD_GNUPGHOME: path.join(workDir, 'gpg'),
    ARGOCD_GPG_DATA_PATH: path.join(workDir, 'gpg'),
    ARGOCD_PLUGINSOCKFILEPATH: path.join(workDir, 'plugins'),
    ARGOCD_ASK_PASS_SOCK: path.join(workDir, 'askpass.sock'),
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    ...(opts.reconciliation ? { ARGOCD_RECONCILIATION_TIMEOUT: opts.reconciliation } : {}),
  };
  const common = ['--loglevel', 'warn', '--logformat', 'text'];
  try {
    const redisPort = await freePort();
    const redis = startProcess(
      'argocd-redis',
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no'],
      { logDir, cwd: workDir },
    );
    started.push(redis);
    const redisAddress = `127.0.0.1:${redisPort}`;
    await waitFor('redis', () => portOpen(redisPort), { process: redis });

    const repoPort = await freePort();
    const repoServer = startProcess(
      'argocd-repo-server',
      path.join(bin, 'argocd-repo-server'),
      [
        ...common,
        '--address',
        '127.0.0.1',
        '--port',
        String(repoPort),
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        String(await freePort()),
        '--disable-tls',
        '--redis',
        redisAddress,
      ],
      { logDir, env, cwd: workDir },
    );
    started.push(repoServer);
    await waitFor('argocd-repo-server', () => portOpen(repoPort), {
      process: repoServer,
      timeoutMs: 60_000,
    });
    const repoAddress = `127.0.0.1:${repoPort}`;

    // what the controller and the server share: the repo-server, redis, their namespace
    const backend = [
      ...common,
      '--namespace',
      ARGOCD_NAMESPACE,
      '--repo-server',
      repoAddress,
      '--repo-server-plaintext',
      '--redis',
      redisAddress,
      '--metrics-port',
    ];
    const controller = startProcess(
      'argocd-application-controller',
      path.join(bin, 'argocd-application-controller'),
      [
        ...backend,
        String(await freePort()),
        // without it status.resources[].health stays empty (the UI reads a separate cache)
        '--persist-resource-health',
      ],
      { logDir, env, cwd: workDir },
    );
    started.push(controller);

    const serverPort = await freePort();
    const server = startProcess(
      'argocd-server',
      path.join(bin, 'argocd-server'),
      [
        ...backend,
        String(await freePort()),
        '--insecure',
        '--address',
        '127.0.0.1',
        '--port',
        String(serverPort),
        '--staticassets',
        path.join(workDir, 'static'),
        // no SSO here: only the admin account
        '--dex-server',
        'http://127.0.0.1:1',
      ],
      { logDir, env, cwd: workDir },
    );
    started.push(server);
    const address = `127.0.0.1:${serverPort}`;
    await waitFor('argocd-server', async () => (await fetch(`http://${address}/healthz`)).ok, {
      process: server,
      timeoutMs: 90_000,
    });

    const cliConfig = path.join(workDir, 'cli-config');
    const cli = async (args: string[]) =>
      (
        await run(
          path.join(bin, 'argocd'),
          [...args, '--config', cliConfig, '--server', address, '--plaintext'],
          {
            encoding: 'utf8',
            env: { ...process.env, HOME: env.HOME },
          },
        )
      ).stdout;
    await cli(['login', address, '--username', 'admin', '--password', adminPassword]);
    return { server: address, adminPassword, workDir, logDir, cli, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A local git repository (branch main) holding a copy of this repository's config/ and crds/ (what
 * the kustomizations under config/ read), for an Application to sync from as `file://<dir>`.
 */
export async function initConfigRepo(
  dir: string,
): Promise<{ url: string; git(args: string[]): Promise<string> }> {
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(repo, 'config'), path.join(dir, 'config'), { recursive: true });
  cpSync(path.join(repo, 'crds'), path.join(dir, 'crds'), { recursive: true });
  const git = async (args: string[]) =>
    (
      await run('git', args, {
        cwd: dir,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'RPS Quest',
          GIT_AUTHOR_EMAIL: 'dev@rpsquest.dev',
          GIT_COMMITTER_NAME: 'RPS Quest',
          GIT_COMMITTER_EMAIL: 'dev@rpsquest.dev',
        },
      })
    ).stdout;
  await git(['init', '-q', '-b', 'main']);
  await git(['add', '-A']);
  await git(['commit', '-q', '-m', 'config/ and crds/ of RPS Quest']);
  return { url: `file://${path.resolve(dir)}`, git };
}
