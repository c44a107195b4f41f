// The real node (`make cluster`): seconds from `hack/cluster.sh up` to the three bots serving with
// binaries and images cached, seconds from train-now to the game server pod serving the new
// version (through the kubelet's update of the mounted ConfigMap), and the game server pod's
// moves/s through its Service next to bench/app.ts's host-process figure in the same run.
// Needs root and Linux; leaves the cluster as it found it (running or not).
// Prints one JSON object as its last line.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelsReply } from '../core/index.ts';
import { binary } from '../hack/harness/index.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = path.join(REPO, 'hack', 'cluster.sh');
const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 32);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 15000);

if (process.platform !== 'linux' || process.getuid?.() !== 0) {
  console.log(JSON.stringify({ skipped: 'bench/cluster.ts needs root on Linux (make cluster)' }));
  process.exit(0);
}

const running = () =>
  execFileSync('bash', [SCRIPT, 'status'], { encoding: 'utf8' }).includes('kube-apiserver           pid');
const wasRunning = running();
if (wasRunning) execFileSync('bash', [SCRIPT, 'down'], { stdio: 'inherit' });

const t0 = performance.now();
execFileSync('bash', [SCRIPT, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
const readySeconds = (performance.now() - t0) / 1000;
const info = JSON.parse(readFileSync(path.join(REPO, '.cluster', 'cluster.json'), 'utf8')) as {
  gameUrl: string;
  kubeconfig: string;
  imagesMs: number;
};
const kubectl = (...args: string[]) =>
  execFileSync(binary('kubectl'), ['--kubeconfig', info.kubeconfig, '-n', 'rps-quest', ...args], {
    encoding: 'utf8',
  });

try {
  // train-now → the game server pod serves the new version
  const versions = () =>
    (
      JSON.parse(kubectl('get', 'rpsm', 'logan', '-o', 'json')) as {
        status?: { versions?: { name: string }[] };
      }
    ).status?.versions?.map((v) => v.name) ?? [];
  const known = versions();
  const t1 = performance.now();
  kubectl('annotate', 'rpsm', 'logan', `rpsquest.dev/train-now=${Date.now()}`, '--overwrite');
  let version: string | undefined;
  let registeredSeconds = 0;
  for (;;) {
    if (performance.now() - t1 > 600_000) throw new Error('no new version of logan in 600 s');
    version ??= versions().find((v) => !known.includes(v));
    if (version && !registeredSeconds) registeredSeconds = (performance.now() - t1) / 1000;
    if (version) {
      const models = (await (await fetch(`${info.gameUrl}/api/v1/models`)).json()) as ModelsReply;
      const logan = models.models.find((m) => m.model === 'logan');
      if (Object.values(logan?.aliases ?? {}).some((a) => a?.version === version && a?.loaded)) break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const trainNowToServedSeconds = (performance.now() - t1) / 1000;

  // all moves come from one client address: lift the per-client rate limit while measuring, as
  // bench/app.ts does for its host process (the Deployment rolls once each way)
  kubectl('set', 'env', 'deployment/rps-quest-game', 'RPS_RATE_LIMIT=10000000');
  kubectl('rollout', 'status', 'deployment/rps-quest-game', '--timeout=300s');
  await waitReady(info.gameUrl);
  let podMovesPerSecond: number;
  try {
    podMovesPerSecond = await movesPerSecond(info.gameUrl);
  } finally {
    kubectl('set', 'env', 'deployment/rps-quest-game', 'RPS_RATE_LIMIT-');
    kubectl('rollout', 'status', 'deployment/rps-quest-game', '--timeout=300s');
  }

  // bench/app.ts in the same run: the game server as a host process
  const app = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench', 'app.ts')], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_MEASURE_MS: String(MEASURE_MS) },
  });
  const appLine = app.stdout.trim().split('\n').pop() ?? '{}';
  const hostMovesPerSecond = (JSON.parse(appLine) as { movesPerSecond?: number }).movesPerSecond ?? null;

  console.log(
    JSON.stringify({
      readySeconds: round(readySeconds),
      imagesSeconds: round(info.imagesMs / 1000),
      trainNowRegisteredSeconds: round(registeredSeconds),
      trainNowToServedSeconds: round(trainNowToServedSeconds),
      podMovesPerSecond: Math.round(podMovesPerSecond),
      hostMovesPerSecond,
      players: PLAYERS,
    }),
  );
} finally {
  if (!wasRunning) execFileSync('bash', [SCRIPT, 'down'], { stdio: 'inherit' });
}

async function waitReady(base: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (
      await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${base}/readyz: not ready in 300 s`);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Closed loop: PLAYERS players start games and move until the end, again and again. */
async function movesPerSecond(base: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: PLAYERS });
  const url = new URL(base);
  const call = (method: string, route: string, body?: unknown) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path: route,
          headers: data
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
            : {},
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            (res.statusCode ?? 0) < 300
              ? resolve(JSON.parse(text) as Record<string, unknown>)
              : reject(new Error(text)),
          );
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  let moves = 0;
  let counting = false;
  let stop = false;
  const player = async (i: number) => {
    while (!stop) {
      const game = await call('POST', '/api/v1/games', { bot: ['brian', 'forrest', 'logan'][i % 3] });
      let next = game.round as number | null;
      for (let k = 0; next !== null && !stop; k++) {
        const reply = await call('POST', `/api/v1/games/${String(game.gameId)}/moves`, {
          round: next,
          move: ['rock', 'paper', 'scissors'][(k + i) % 3],
        });
        if (counting) moves++;
        next = reply.finished ? null : (reply.nextRound as number);
      }
    }
  };
  const all = Array.from({ length: PLAYERS }, (_, i) => player(i));
  await new Promise((r) => setTimeout(r, 3000));
  counting = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  counting = false;
  const rate = (moves * 1000) / (performance.now() - start);
  stop = true;
  await Promise.allSettled(all);
  agent.destroy();
  return rate;
}
