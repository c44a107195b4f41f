// `make dev`: the whole system on this machine — control plane, MinIO, CRDs, the game server,
// the operator, the pod executor for training Jobs, and the samples — until Ctrl-C. With GITOPS=1
// the samples come from a local git repository through Argo CD (hack/dev-gitops.ts).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelsReply } from '../core/index.ts';
import {
  binary,
  freePort,
  portFree,
  startControlPlane,
  startMinio,
  startPodExecutor,
  startProcess,
  supervise,
  waitFor,
  type Supervised,
} from './harness/index.ts';
import { gitOpsHelp, startGitOps } from './dev-gitops.ts';
import { startDevProxy } from './dev-proxy.ts';
import { startPostgres } from './harness/postgres.ts';
import { startManifestSync } from './manifest-sync.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// RPS_DEV_DIR lets the end-to-end test run a second, throw-away stack beside a developer's.
const devDir = path.resolve(process.env.RPS_DEV_DIR ?? path.join(repo, '.dev'));
const namespace = 'rps-quest';
const deployment = 'rps-quest-game';

function say(line: string): void {
  console.log(`dev: ${line}`);
}

/** Secrets that must be the same across restarts of the same .dev directory. */
function devSecret(name: string): string {
  const file = path.join(devDir, 'secrets', name);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(18).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

export async function main(): Promise<number> {
  mkdirSync(path.join(devDir, 'logs'), { recursive: true });
  const pidFile = path.join(devDir, 'dev.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      process.kill(pid, 0);
      console.error(`dev: already running (pid ${pid}); stop it with \`make down\` first`);
      return 1;
    } catch {
      // a stale pid file from a crashed run
    }
  }
  writeFileSync(pidFile, String(process.pid));

  const gamePort = Number(process.env.PORT ?? 8080);
  // make dev DB=postgres REPLICAS=3: game servers on a local PostgreSQL behind a round-robin proxy
  const db = process.env.RPS_DEV_DB || 'sqlite';
  const replicas = Number(process.env.RPS_DEV_REPLICAS || '1');
  if (db !== 'sqlite' && db !== 'postgres') {
    console.error(`dev: DB=${db} is not a database; use DB=sqlite (default) or DB=postgres`);
    return 1;
  }
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 8) {
    console.error(`dev: REPLICAS=${process.env.RPS_DEV_REPLICAS} must be an integer from 1 to 8`);
    return 1;
  }
  if (db === 'sqlite' && replicas > 1) {
    console.error('dev: REPLICAS above 1 needs DB=postgres (SQLite has one writer)');
    return 1;
  }
  if (!(await portFree(gamePort))) {
    console.error(`dev: port ${gamePort} is in use; free it or run \`PORT=<port> make dev\``);
    return 1;
  }
  const logDir = path.join(devDir, 'logs');
  // the game server and the operator: restarted with backoff when they die, as in a cluster
  const processes: Supervised[] = [];
  const stoppers: (() => Promise<void> | void)[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const p of processes.reverse()) await p.stop();
    for (const s of stoppers.reverse()) await s();
    rmSync(pidFile, { force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    say('starting etcd, kube-apiserver, kube-controller-manager and MinIO…');
    const s3Access = 'rpsquest';
    const s3Secret = devSecret('s3');
    const minioPort = (await portFree(9000)) ? 9000 : await freePort();
    const [cpStarted, minioStarted] = await Promise.allSettled([
      startControlPlane({ dir: path.join(devDir, 'cluster'), logDir }),
      startMinio({ dir: devDir, port: minioPort, accessKey: s3Access, secretKey: s3Secret, logDir }),
    ]);
    if (cpStarted.status === 'fulfilled') stoppers.push(() => cpStarted.value.stop());
    if (minioStarted.status === 'fulfilled') stoppers.push(() => minioStarted.value.stop());
    if (cpStarted.status === 'rejected') throw cpStarted.reason;
    if (minioStarted.status === 'rejected') throw minioStarted.reason;
    const cp = cpStarted.value;
    const minio = minioStarted.value;
    const kubeconfig = path.join(devDir, 'kubeconfig');
    copyFileSync(cp.kubeconfigPath, kubeconfig);
    const kubectl = (args: string[], input?: string) =>
      execFileSync(binary('kubectl'), ['--kubeconfig', kubeconfig, ...args], {
        encoding: 'utf8',
        input,
        stdio: 'pipe',
      });
    // `create --dry-run -o yaml | apply -f -`: create-or-update, so a second `make dev` converges
    const ensure = (args: string[]) =>
      kubectl(['apply', '-f', '-'], kubectl([...args, '--dry-run=client', '-o', 'yaml']));

    say('installing CRDs, namespace and secrets…');
    kubectl(['apply', '--server-side', '--force-conflicts', '-f', path.join(repo, 'crds')]);
    // right after the apply a CRD may have no status.conditions yet, and kubectl wait then fails
    // instead of waiting ("accessor error"): try again
    for (let attempt = 1; ; attempt++) {
      try {
        kubectl([
          'wait',
          '--for=condition=Established',
          '--timeout=60s',
          'crd/rpsmodels.rpsquest.dev',
          'crd/promotionpolicies.rpsquest.dev',
        ]);
        break;
      } catch (err) {
        if (attempt >= 20 || !/accessor error/.test(String(err))) throw err;
      }
    }
    ensure(['create', 'namespace', namespace]);
    const internalToken = devSecret('internal-token');
    const applySecret = (name: string, data: Record<string, string>) =>
      ensure([
        '-n',
        namespace,
        'create',
        'secret',
        'generic',
        name,
        ...Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`),
      ]);
    // the game server and the operator get their own keys below; the training Jobs get theirs
    // from the operator, minted for each Job
    applySecret('rps-quest-internal', { token: internalToken });

    const s3Env = (role: 'game' | 'operator') => ({
      S3_ENDPOINT: minio.endpoint,
      S3_BUCKET: minio.bucket,
      S3_ACCESS_KEY: minio.users[role].accessKey,
      S3_SECRET_KEY: minio.users[role].secretKey,
    });
    const gameUrl = `http://127.0.0.1:${gamePort}`;

    const executor = await startPodExecutor({
      kubeConfig: cp.kubeConfig,
      namespace,
      logDir: path.join(logDir, 'pods'),
    });
    stoppers.push(() => executor.stop());
    const manifestDir = path.join(devDir, 'manifests');
    const sync = await startManifestSync({
      kubeConfig: cp.kubeConfig,
      namespace,
      configMap: `${deployment}-models`,
      dir: manifestDir,
    });
    stoppers.push(() => sync.stop());

    mkdirSync(path.join(devDir, 'data'), { recursive: true });
    let database: Record<string, string> = { RPS_DB: path.join(devDir, 'data', 'game.db') };
    if (db === 'postgres') {
      say('starting PostgreSQL (data in .dev/postgres-data)…');
      const pg = await startPostgres({ dir: devDir, logDir });
      stoppers.push(() => pg.stop());
      database = { RPS_DATABASE_URL: pg.url };
    }
    say(replicas === 1 ? 'starting the game server…' : `starting ${replicas} game servers behind a proxy…`);
    const appPorts =
      replicas === 1 ? [gamePort] : await Promise.all(Array.from({ length: replicas }, () => freePort()));
    for (const [i, port] of appPorts.entries()) {
      const name = replicas === 1 ? 'app' : `app-${i + 1}`;
      const app = supervise(
        replicas === 1 ? 'game server' : `game server ${i + 1}`,
        () =>
          startProcess(name, process.execPath, ['--import', 'tsx', path.join(repo, 'cli.ts'), 'app'], {
            logDir,
            cwd: repo,
            env: {
              ...s3Env('game'),
              ...database,
              PORT: String(port),
              HOST: '127.0.0.1',
              RPS_MANIFEST_DIR: manifestDir,
              RPS_MODEL_CACHE_DIR: path.join(devDir, 'data', 'model-cache'),
              RPS_INTERNAL_TOKEN: internalToken,
            },
          }),
        say,
      );
      processes.push(app);
      await waitFor(name, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
        process: app.current(),
        timeoutMs: 60_000,
      });
    }
    if (replicas > 1) {
      const proxy = await startDevProxy(
        gamePort,
        appPorts.map((p) => `http://127.0.0.1:${p}`),
      );
      stoppers.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    }

    say('starting the operator…');
    const metricsPort = String(await freePort());
    const operator = supervise(
      'operator',
      () =>
        startProcess(
          'operator',
          process.execPath,
          ['--import', 'tsx', path.join(repo, 'cli.ts'), 'operator'],
          {
            logDir,
            cwd: repo,
            env: {
              ...s3Env('operator'),
              S3_MINTER_ACCESS_KEY: minio.users.minter.accessKey,
              S3_MINTER_SECRET_KEY: minio.users.minter.secretKey,
              KUBECONFIG: kubeconfig,
              NAMESPACE: namespace,
              RPS_GAME_URL: gameUrl,
              RPS_INTERNAL_TOKEN: internalToken,
              LEADER_ELECTION: 'true',
              METRICS_PORT: metricsPort,
            },
          },
        ),
      say,
    );
    processes.push(operator);

    let gitops = '';
    if (process.env.GITOPS === '1') {
      say(
        'starting Argo CD (redis, repo-server, application-controller, server); it syncs config/samples from .dev/gitops…',
      );
      const { argocd, gitDir } = await startGitOps({ devDir, kubeconfig, logDir, kubectl });
      stoppers.push(() => argocd.stop());
      gitops = `\n${gitOpsHelp(argocd, gitDir, kubeconfig, namespace)}`;
    } else {
      say('applying config/samples (Brian, Forrest, Logan and the default PromotionPolicy)…');
      kubectl(['apply', '-n', namespace, '-k', path.join(repo, 'config', 'samples')]);
    }

    say('waiting until the three bots serve their first trained version (training runs as Jobs)…');
    await waitFor(
      'first trained versions',
      async () => {
        const res = await fetch(`${gameUrl}/api/v1/models`);
        const { models } = (await res.json()) as ModelsReply;
        return models.length >= 3 && models.every((m) => Boolean(m.aliases?.Production?.version));
      },
      { process: operator.current(), timeoutMs: 15 * 60_000 },
    );

    console.log(`
RPS Quest is up.

  Play:        ${gameUrl}
  Dashboard:   ${gameUrl}/dashboard
  Kubernetes:  export KUBECONFIG=${kubeconfig}
  kubectl:     ${binary('kubectl')}   (any kubectl 1.33+ works)

Try:
  kubectl get rpsquest -n ${namespace}
  kubectl describe rpsm brian -n ${namespace}
  kubectl annotate rpsm logan -n ${namespace} rpsquest.dev/train-now="$(date +%s)" --overwrite
  kubectl rpsq status                 (the plugin: make install-plugin; kubectl rpsq --help)
${gitops}
Logs: ${logDir}/   ·   Stop: Ctrl-C (or \`make down\` from another terminal)
`);
    await new Promise(() => undefined);
    return 0;
  } catch (err) {
    console.error(`dev: ${(err as Error).message}`);
    await shutdown(1);
    return 1;
  }
}
