// Operator speed on the local control plane (real etcd, kube-apiserver, kube-controller-manager,
// MinIO; the trainer run by the pod executor; a stub game server), with the operator as its own
// process (`rpsq operator`) so that its memory and CPU are its own:
//   - apply → Job: 20 RpsModels created one after another, each timed from the create request to
//     its training Job arriving on a watch (p50 / p99);
//   - Job done → version: three real (tiny) training runs, each timed from the Job's Complete
//     condition arriving on a watch to the version appearing in the model's status;
//   - 500 RpsModels with training suspended, created at once (25 requests in flight), until every
//     one has status.observedGeneration equal to its generation;
//   - the operator's peak resident memory (VmHWM) and the CPU it used for the 500.
// Prints progress lines, then one JSON object as the last line.
// Usage: node --import tsx bench/operator.ts [--compiled]
//   --compiled: the operator runs the JavaScript of `make build` (dist/cli.js) instead of the
//   TypeScript through tsx, with the Node flags of config/manager's command, as the image does.
//   BENCH_NODE_FLAGS="…" runs it with these flags instead ("" for none).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Watch } from '@kubernetes/client-node';
import { load as parseYaml } from 'js-yaml';
import { freePort, waitFor } from '../hack/harness/index.ts';
import { GROUP, RPS_MODELS, VERSION, type RpsModel } from '../operator/resources.ts';
import { NAMESPACE, startOperatorEnv } from '../tests/integration/operator-fixtures.ts';

const LATENCY_MODELS = Number(process.env.BENCH_LATENCY_MODELS ?? 20);
const TRAINING_RUNS = Number(process.env.BENCH_TRAINING_RUNS ?? 3);
const SCALE_MODELS = Number(process.env.BENCH_SCALE_MODELS ?? 500);
const IN_FLIGHT = 25;
const TIMED_MODEL = 'timed';

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** VmHWM / VmRSS of a process, in MB. */
function memoryMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return round(Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024);
}

/** user + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function modelBody(name: string, suspend: boolean): object {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'RpsModel',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      displayName: name,
      algorithm: 'logistic',
      hyperparameters: { epochs: 3, batchSize: 256, patience: 1 },
      training: {
        bootstrapGames: 12,
        minTotalEvents: 150,
        retryDelaySeconds: 1,
        maxRetryDelaySeconds: 2,
        ...(suspend ? { suspend: true } : {}),
      },
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The Node flags of the operator's command in config/manager (`node <flags> /app/dist/cli.js operator`). */
function deploymentNodeFlags(): string[] {
  const deployment = parseYaml(readFileSync('config/manager/deployment.yaml', 'utf8')) as {
    spec: { template: { spec: { containers: { name: string; command?: string[] }[] } } };
  };
  const command = deployment.spec.template.spec.containers.find((c) => c.name === 'operator')?.command ?? [];
  return command[0] === 'node' ? command.slice(1, command.indexOf('/app/dist/cli.js')) : [];
}

const env = await startOperatorEnv({ executorLabelSelector: `rpsquest.dev/model=${TIMED_MODEL}` });
const figures: Record<string, unknown> = {};
try {
  env.game.setEvents(1500);
  const metricsPort = await freePort();
  const compiled = process.argv.includes('--compiled');
  if (compiled) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  figures.operatorEntry = compiled ? 'dist/cli.js' : 'tsx cli.ts';
  const override = process.env.BENCH_NODE_FLAGS;
  const nodeFlags =
    override !== undefined ? override.split(' ').filter(Boolean) : compiled ? deploymentNodeFlags() : [];
  figures.nodeFlags = nodeFlags.join(' ');
  const operator = env.spawnOperator(
    'operator',
    { LOG_LEVEL: 'warn', METRICS_PORT: String(metricsPort) },
    { compiled, nodeFlags },
  );
  const pid = operator.child.pid!;
  await waitFor(
    'the operator to be ready',
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null))?.ok === true,
    { timeoutMs: 60_000, process: operator },
  );
  figures.operatorRssIdleMb = memoryMb(pid, 'VmRSS');
  const custom = { group: GROUP, version: VERSION, namespace: NAMESPACE, plural: RPS_MODELS };

  // what the watches saw, with the bench's clock
  const jobAdded = new Map<string, number>();
  const jobComplete = new Map<string, number>();
  const versionSeen = new Map<string, number>();
  const reconciled = new Set<string>();
  const deleted = new Set<string>();
  let stopping = false;
  const watch = new Watch(env.cp.kubeConfig);
  const watches = [
    await watch.watch(
      `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
      {},
      (
        phase,
        job: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } },
      ) => {
        const now = performance.now();
        const name = job.metadata.name;
        if (phase === 'ADDED' && !jobAdded.has(name)) jobAdded.set(name, now);
        const complete = job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
        if (complete && !jobComplete.has(name)) jobComplete.set(name, now);
      },
      (err) => err && !stopping && console.error(`job watch ended: ${String(err)}`),
    ),
    await watch.watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/${RPS_MODELS}`,
      {},
      (phase, m: RpsModel) => {
        const now = performance.now();
        if (phase === 'DELETED') deleted.add(m.metadata.name);
        for (const v of m.status?.versions ?? []) {
          const key = `${m.metadata.name}/${v.name}`;
          if (!versionSeen.has(key)) versionSeen.set(key, now);
        }
        if (m.status?.observedGeneration === m.metadata.generation) reconciled.add(m.metadata.name);
      },
      (err) => err && !stopping && console.error(`model watch ended: ${String(err)}`),
    ),
  ];

  // --- apply → Job -----------------------------------------------------------------------
  const applyToJob: number[] = [];
  for (let i = 0; i < LATENCY_MODELS; i++) {
    const name = `latency-${i}`;
    const started = performance.now();
    await env.kube.custom.createNamespacedCustomObject({ ...custom, body: modelBody(name, false) });
    await until(`the Job of ${name}`, () => jobAdded.has(`${name}-train-v1`), 30_000);
    applyToJob.push(jobAdded.get(`${name}-train-v1`)! - started);
    await sleep(200);
  }
  console.log(`apply → Job (ms): ${applyToJob.map((x) => x.toFixed(0)).join(' ')}`);
  figures.applyToJobP50Ms = round(percentile(applyToJob, 50));
  figures.applyToJobP99Ms = round(percentile(applyToJob, 99));
  // their pods never run: delete them (the finalizer removes the Jobs)
  for (let i = 0; i < LATENCY_MODELS; i++) {
    await env.kube.custom.deleteNamespacedCustomObject({ ...custom, name: `latency-${i}` });
  }

  // --- Job done → version registered -----------------------------------------------------
  const jobToVersion: number[] = [];
  const trainSeconds: number[] = [];
  await env.kube.custom.createNamespacedCustomObject({ ...custom, body: modelBody(TIMED_MODEL, false) });
  for (let n = 1; n <= TRAINING_RUNS; n++) {
    const version = `v${n}`;
    const job = `${TIMED_MODEL}-train-${version}`;
    if (n > 1) {
      await env.kubectl([
        '-n',
        NAMESPACE,
        'annotate',
        'rpsm',
        TIMED_MODEL,
        `rpsquest.dev/train-now=${n}`,
        '--overwrite',
      ]);
    }
    await until(`${TIMED_MODEL} ${version}`, () => versionSeen.has(`${TIMED_MODEL}/${version}`), 180_000);
    if (!jobComplete.has(job)) throw new Error(`${version} was registered before its Job was seen complete`);
    jobToVersion.push(versionSeen.get(`${TIMED_MODEL}/${version}`)! - jobComplete.get(job)!);
    trainSeconds.push((jobComplete.get(job)! - jobAdded.get(job)!) / 1000);
  }
  console.log(
    `Job done → version (ms): ${jobToVersion.map((x) => x.toFixed(0)).join(' ')}; ` +
      `Job created → done (s): ${trainSeconds.map((x) => x.toFixed(1)).join(' ')}`,
  );
  figures.jobToVersionMs = round(percentile(jobToVersion, 50));

  // --- 500 suspended models --------------------------------------------------------------
  await until(
    'the latency models to be gone',
    () => [...Array(LATENCY_MODELS).keys()].every((i) => deleted.has(`latency-${i}`)),
    60_000,
  );
  const names = Array.from({ length: SCALE_MODELS }, (_, i) => `scale-${String(i).padStart(3, '0')}`);
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < names.length) {
        const name = names[next++]!;
        await env.kube.custom.createNamespacedCustomObject({ ...custom, body: modelBody(name, true) });
      }
    }),
  );
  const createdSeconds = (performance.now() - started) / 1000;
  // the watch alone can miss the end on a busy machine (a watch the server closes early): list as well
  const lister = setInterval(() => {
    void env.kube.custom.listNamespacedCustomObject(custom).then(
      (list: { items: RpsModel[] }) => {
        for (const m of list.items) {
          if (m.status?.observedGeneration === m.metadata.generation) reconciled.add(m.metadata.name);
        }
      },
      () => {},
    );
  }, 5_000);
  await until(
    `${SCALE_MODELS} models reconciled`,
    () => names.every((n) => reconciled.has(n)),
    600_000,
  ).finally(() => clearInterval(lister));
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  console.log(
    `${SCALE_MODELS} suspended models: created in ${createdSeconds.toFixed(1)} s, all reconciled after ` +
      `${seconds.toFixed(1)} s, operator CPU ${cpu.toFixed(1)} s`,
  );
  figures.models500ReconciledSeconds = round(seconds);
  figures.operatorRssMb = memoryMb(pid, 'VmHWM');
  figures.operatorRssNowMb = memoryMb(pid, 'VmRSS');
  figures.operatorCpuSeconds500 = round(cpu);
  // what one of the 500 is as the watch delivers it, and how much of that is managedFields
  const sample = (await env.kube.custom.getNamespacedCustomObject({
    ...custom,
    name: names[0]!,
  })) as RpsModel;
  figures.modelJsonBytes = JSON.stringify(sample).length;
  figures.managedFieldsJsonBytes = JSON.stringify(
    (sample.metadata as { managedFields?: unknown }).managedFields ?? [],
  ).length;
  figures.applyToJobMs = applyToJob.map((x) => round(x));
  figures.jobToVersionRunsMs = jobToVersion.map((x) => round(x));
  figures.trainJobSeconds = trainSeconds.map((x) => round(x));
  figures.cpus = cpus().length;
  figures.cpuModel = cpus()[0]?.model ?? 'unknown';
  figures.node = process.version;
  stopping = true;
  for (const w of watches) w.abort();
} finally {
  await env.stop();
}
// the five headline figures first
const {
  applyToJobP50Ms,
  applyToJobP99Ms,
  jobToVersionMs,
  models500ReconciledSeconds,
  operatorRssMb,
  ...rest
} = figures;
console.log(
  JSON.stringify({
    applyToJobP50Ms,
    applyToJobP99Ms,
    jobToVersionMs,
    models500ReconciledSeconds,
    operatorRssMb,
    ...rest,
  }),
);
