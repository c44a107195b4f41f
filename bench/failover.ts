// Leader failover on the local control plane (real etcd, kube-apiserver, kube-controller-manager;
// a stub game server): two operator replicas (`rpsq operator`, each its own process) with the
// Lease timing of the shipped manager (15 s lease, 10 s renew deadline, 2 s retry period, or the
// BENCH_LEASE_* overrides). Per round: SIGKILL the replica holding the Lease, then time
//   - kill → the other replica's name in the Lease (takeover), and
//   - kill → a training Job created by the new leader for a train-now annotation made right
//     after the kill (the work resumes).
// A killed replica is started again as the standby of the next round.
// Prints progress lines, then one JSON object as the last line.
// Usage: node --import tsx bench/failover.ts
import {
  NAMESPACE,
  apply,
  getModel,
  jobsOf,
  leaseHolder,
  modelYaml,
  startOperatorEnv,
} from '../tests/integration/operator-fixtures.ts';

const ROUNDS = Number(process.env.BENCH_FAILOVER_ROUNDS ?? 3);
const LEASE_S = Number(process.env.BENCH_LEASE_DURATION_SECONDS ?? 15);
const RENEW_S = Number(process.env.BENCH_RENEW_DEADLINE_SECONDS ?? 10);
const RETRY_S = Number(process.env.BENCH_RETRY_PERIOD_SECONDS ?? 2);
const MODEL = 'failover';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const env = await startOperatorEnv();
const figures: Record<string, unknown> = {
  leaseDurationMs: LEASE_S * 1000,
  renewDeadlineMs: RENEW_S * 1000,
  retryPeriodMs: RETRY_S * 1000,
};
const replicaEnv = {
  LEADER_ELECTION: 'true',
  LEASE_DURATION_SECONDS: String(LEASE_S),
  RENEW_DEADLINE_SECONDS: String(RENEW_S),
  RETRY_PERIOD_SECONDS: String(RETRY_S),
  LOG_LEVEL: 'warn',
};

const holder = () => leaseHolder(env);
const jobCount = async () => (await jobsOf(env, MODEL)).length;

// polls every 20 ms (the test fixtures' `eventually` polls every 250 ms, too coarse for these figures)
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

try {
  env.game.setEvents(1500);
  const replicas = new Map([
    ['replica-a', env.spawnOperator('replica-a', replicaEnv)],
    ['replica-b', env.spawnOperator('replica-b', replicaEnv)],
  ]);
  let spawned = 0;
  await until('a leader', async () => holder(), 60_000);
  await apply(env, modelYaml(MODEL));
  await until('the first Job', async () => ((await jobCount()) >= 1 ? true : undefined), 60_000);
  await until(
    'v1 registered',
    async () => {
      const m = await getModel(env, MODEL);
      return m.status?.versions?.length && !m.status.training?.version ? true : undefined;
    },
    120_000,
  );

  const takeover: number[] = [];
  const resumed: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const leader = (await holder())!;
    // let the standby settle into its retry loop, as it would in a long-running pair
    await sleep(RETRY_S * 1000 * 2);
    const jobsBefore = await jobCount();
    const killed = replicas.get(leader)!;
    const t0 = Date.now();
    killed.child.kill('SIGKILL');
    await killed.exited;
    await env.kubectl([
      '-n',
      NAMESPACE,
      'annotate',
      'rpsm',
      MODEL,
      `rpsquest.dev/train-now=failover-${round}`,
      '--overwrite',
    ]);
    const next = await until(
      'the standby to take the Lease',
      async () => {
        const h = await holder();
        return h && h !== leader ? h : undefined;
      },
      (LEASE_S + RENEW_S) * 1000 * 3,
    );
    takeover.push(Date.now() - t0);
    await until(
      'the new leader to create the Job',
      async () => ((await jobCount()) > jobsBefore ? true : undefined),
      120_000,
    );
    resumed.push(Date.now() - t0);
    console.log(
      `round ${round}: ${leader} killed, ${next} leads after ${takeover.at(-1)} ms, Job after ${resumed.at(-1)} ms`,
    );
    // the killed replica comes back as the standby
    const name = `replica-${String.fromCharCode(99 + spawned++)}`;
    replicas.delete(leader);
    replicas.set(name, env.spawnOperator(name, replicaEnv));
    await until(
      'the train-now run to finish',
      async () => {
        const m = await getModel(env, MODEL);
        return m.status?.training?.version ? undefined : true;
      },
      120_000,
    );
  }
  figures.rounds = ROUNDS;
  figures.takeoverMs = takeover;
  figures.killToJobMs = resumed;
  figures.takeoverMaxMs = Math.max(...takeover);
  figures.killToJobMaxMs = Math.max(...resumed);
} finally {
  await env.stop();
}
console.log(JSON.stringify(figures));
