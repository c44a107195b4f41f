// Game server throughput and latency: 64 concurrent simulated players against a server process with
// 3 bots × 4 aliases loaded from MinIO (each move from round 4 = 4 inferences + one transaction),
// and the cold load of those 12 models from MinIO to the first served move.
// movesPerSecond: closed loop (every player moves again as soon as answered), the most the server sustains.
// p50Ms / p99Ms: the same 64 players paced to BENCH_PACED_RATE moves/s together (default 3000).
// Prints one JSON object as its last line: { movesPerSecond, p50Ms, p99Ms, coldLoadMs, ... }.
// --db sqlite|postgres (default sqlite): the store; postgres starts a local PostgreSQL server.
// --replicas N (default 1): that many server processes on the one database, moves round-robin over them.
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../app/build-app.ts';
import {
  ALIASES,
  createSyntheticPlayer,
  featureSet,
  seededRandom,
  SYNTHETIC_PLAYER_NAMES,
  type MoveReply,
  type PlayedRound,
  type StartGameReply,
} from '../core/index.ts';
import { parseArgs } from 'node:util';
import { freePort, startMinio, startProcess, waitFor, type Managed } from '../hack/harness/index.ts';
import { startPostgres } from '../hack/harness/postgres.ts';
import { ArtifactStore } from '../lib/artifact-store.ts';
import { servingManifest, writeManifest, type ModelVersion } from '../tests/support/app-fixtures.ts';
import { tinyOnnxModel } from '../tests/support/tiny-onnx.ts';

const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 64);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3000);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 15000);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 3000);
const BOTS = ['brian', 'forrest', 'logan'];
// BENCH_FEATURE_SET=rps-features/v2: the versions read v2 features and play the sampled rule
const FEATURE_SET = process.env.BENCH_FEATURE_SET ?? 'rps-features/v1';
const INPUTS = featureSet(FEATURE_SET).count;
const REPO = join(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: { db: { type: 'string', default: 'sqlite' }, replicas: { type: 'string', default: '1' } },
});
const DB = args.db!;
const REPLICAS = Number(args.replicas);
if (DB !== 'sqlite' && DB !== 'postgres') throw new Error(`--db ${DB}: must be sqlite or postgres`);
if (!Number.isInteger(REPLICAS) || REPLICAS < 1 || REPLICAS > 16) {
  throw new Error(`--replicas ${args.replicas}: must be an integer from 1 to 16`);
}
if (DB === 'sqlite' && REPLICAS !== 1)
  throw new Error('--replicas above 1 needs --db postgres (one SQLite writer)');

const dir = mkdtempSync(join(tmpdir(), 'bench-app-'));
const postgres = DB === 'postgres' ? await startPostgres({ dir }) : null;
const databaseUrl = postgres ? await postgres.createDatabase('bench') : null;
const minio = await startMinio({ dir });
const s3 = {
  endpoint: minio.endpoint,
  accessKey: minio.accessKey,
  secretKey: minio.secretKey,
  bucket: minio.bucket,
};
const store = new ArtifactStore(s3);
const manifests = join(dir, 'manifests');

// 12 distinct models: an MLP-sized graph (49 or 91 → 64 → 3) per alias per bot
for (const model of BOTS) {
  const aliases: Record<string, ModelVersion> = {};
  for (const [i, alias] of ALIASES.entries()) {
    const v = {
      version: `v${i + 1}`,
      bytes: tinyOnnxModel({ hidden: 64, seed: i * 17 + model.length, tag: `${model}-${i}`, inputs: INPUTS }),
      featureSet: FEATURE_SET,
      db: DB,
      replicas: REPLICAS,
    };
    await store.put(`${model}/${v.version}/model.onnx`, v.bytes);
    aliases[alias] = v;
  }
  writeManifest(manifests, servingManifest(model, aliases));
}

// --- cold load: empty cache, every model from MinIO, until the first move a model decided ---
async function coldLoad(): Promise<number> {
  const t0 = performance.now();
  const app = await buildApp({
    logger: false,
    config: {
      manifestDir: manifests,
      modelCacheDir: join(dir, 'cold-cache'),
      artifactStore: s3,
      manifestPollMs: 3_600_000,
    },
  });
  const loaded = app.rps.registry.report().every((m) => Object.keys(m.aliases).length === 4);
  if (!loaded) throw new Error(`not every model loaded: ${JSON.stringify(app.rps.registry.report())}`);
  // a game whose opening rounds are already stored, so the first move timed is one the model decides
  const { gameId } = await app.rps.games.startGame({ bot: 'brian' });
  const t1 = performance.now();
  for (let round = 1; round <= 3; round++) await app.rps.games.playMove(gameId, round, () => 'rock');
  const openings = performance.now() - t1;
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/games/${gameId}/moves`,
    payload: { round: 4, move: 'paper' },
  });
  if (res.statusCode !== 200) throw new Error(`first move: ${res.statusCode} ${res.body}`);
  const ms = performance.now() - t0 - openings;
  await app.close();
  return ms;
}
const coldLoadMs = await coldLoad();

// --- throughput: the servers in their own processes, the players here ---
// BENCH_SERVER_NODE_OPTIONS e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
const ports: number[] = [];
const servers: Managed[] = [];
for (let i = 0; i < REPLICAS; i++) {
  const port = await freePort();
  ports.push(port);
  servers.push(startServer(`app-${i}`, port));
}
for (const [i, server] of servers.entries()) {
  await waitFor('game server', async () => (await fetch(`http://127.0.0.1:${ports[i]}/readyz`)).ok, {
    process: server,
  });
}

function startServer(name: string, port: number): Managed {
  return startProcess(name, process.execPath, [...serverNodeArgs, '--import', 'tsx', 'cli.ts', 'app'], {
    logDir: join(dir, 'logs'),
    cwd: REPO,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      ...(databaseUrl ? { RPS_DATABASE_URL: databaseUrl } : { RPS_DB: join(dir, 'games.db') }),
      RPS_MANIFEST_DIR: manifests,
      RPS_MODEL_CACHE_DIR: join(dir, 'cache'),
      RPS_RATE_LIMIT: '10000000',
      LOG_LEVEL: 'warn',
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: s3.bucket,
    },
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: PLAYERS });
let turn = 0;
/** each request to the next server, round-robin (a game's moves land on every replica) */
function post<T>(path: string, body: unknown, port = ports[turn++ % ports.length]!): Promise<T> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`${path} → ${res.statusCode}: ${text}`));
          else resolve(JSON.parse(text) as T);
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

interface Phase {
  /** moves per second offered by all players together; null = closed loop (each player moves as soon as answered) */
  rate: number | null;
  measuring: boolean;
  stop: boolean;
  latencies: number[];
  modelMoves: number;
}

/** One simulated player: plays synthetic-player games back to back until the phase stops. */
async function player(p: number, phase: Phase): Promise<void> {
  const random = seededRandom(p + 1);
  // paced players are staggered and keep a schedule; latency counts from the scheduled time,
  // so a server that falls behind shows it (no coordinated omission)
  const interval = phase.rate ? (PLAYERS / phase.rate) * 1000 : 0;
  let due = performance.now() + (interval * p) / PLAYERS;
  while (!phase.stop) {
    const name = SYNTHETIC_PLAYER_NAMES[p % SYNTHETIC_PLAYER_NAMES.length]!;
    const strategy = createSyntheticPlayer(name, random);
    const start = await post<StartGameReply>('/api/v1/games', {
      bot: BOTS[p % 3],
      player: name,
      synthetic: true,
    });
    const previous: PlayedRound[] = [];
    let values = start.values;
    let scores = { playerScore: 0, botScore: 0 };
    for (let round = 1; !phase.stop; round++) {
      const move = strategy.next({ round, values, previous, ...scores });
      let t0 = performance.now();
      if (phase.rate) {
        // on time: wait for the slot and time from the send; late (a slow answer held this player
        // up): send at once and time from the missed slot
        if (due > t0) {
          await new Promise((r) => setTimeout(r, due - t0));
          t0 = performance.now();
        } else {
          t0 = due;
        }
        due += interval;
      }
      const r = await post<MoveReply>(`/api/v1/games/${start.gameId}/moves`, { round, move });
      if (phase.measuring) {
        phase.latencies.push(performance.now() - t0);
        if (round > 3) phase.modelMoves++;
      }
      previous.push({
        round,
        playerMove: r.playerMove,
        botMove: r.botMove,
        values,
        result: r.result,
        playerScore: r.playerScore,
        botScore: r.botScore,
      });
      scores = { playerScore: r.playerScore, botScore: r.botScore };
      if (r.finished || !r.nextValues) break;
      values = r.nextValues;
    }
  }
}

async function runPhase(rate: number | null) {
  const phase: Phase = { rate, measuring: false, stop: false, latencies: [], modelMoves: 0 };
  const players = Array.from({ length: PLAYERS }, (_, p) => player(p, phase));
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  phase.measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  phase.measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  phase.stop = true;
  await Promise.all(players);
  const l = phase.latencies.sort((a, b) => a - b);
  const pct = (q: number) => Math.round(l[Math.min(l.length - 1, Math.floor(q * l.length))]! * 100) / 100;
  return {
    movesPerSecond: Math.round(l.length / seconds),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    moves: l.length,
    modelDecidedShare: Math.round((phase.modelMoves / l.length) * 100) / 100,
  };
}

// closed loop: the most moves per second the server sustains (latency is then mostly queueing:
// 64 players / throughput); paced: the latency of a move at the target rate
const scrape = async () =>
  (
    await Promise.all(ports.map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()))
  ).join('\n');

/** Cumulative move-duration bucket counts (le → count) summed over bots, from the server's histogram. */
function moveBuckets(text: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(/^rpsq_move_duration_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)$/gm)) {
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/** The bucket bound (ms) below which a share q of the moves between two scrapes finished, server side. */
function serverQuantileMs(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const les = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const le of les) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le * 1000;
  }
  return Infinity;
}

const saturated = await runPhase(null);
const beforePaced = moveBuckets(await scrape());
const paced = await runPhase(PACED_RATE);
const afterPaced = moveBuckets(await scrape());
agent.destroy();

const metrics = await scrape();
for (const server of servers) await server.stop();
await postgres?.stop();
await minio.stop();
rmSync(dir, { recursive: true, force: true });

const fallbacks = [...metrics.matchAll(/rpsq_fallback_moves_total\{[^}]*\} (\d+)/g)].reduce(
  (n, m) => n + Number(m[1]),
  0,
);
console.log(
  JSON.stringify({
    featureSet: FEATURE_SET,
    movesPerSecond: saturated.movesPerSecond,
    p50Ms: paced.p50Ms,
    p99Ms: paced.p99Ms,
    coldLoadMs: Math.round(coldLoadMs),
    latencyAt: {
      offeredMovesPerSecond: PACED_RATE,
      achievedMovesPerSecond: paced.movesPerSecond,
      moves: paced.moves,
      // time inside the server's move handler (decide, infer, commit), as histogram bucket bounds
      serverP50MsAtMost: serverQuantileMs(beforePaced, afterPaced, 0.5),
      serverP99MsAtMost: serverQuantileMs(beforePaced, afterPaced, 0.99),
    },
    saturated: { p50Ms: saturated.p50Ms, p99Ms: saturated.p99Ms, moves: saturated.moves },
    players: PLAYERS,
    modelDecidedShare: saturated.modelDecidedShare,
    fallbackMoves: fallbacks,
    models: 12,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
  }),
);
