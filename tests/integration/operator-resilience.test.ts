import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinio } from '../../hack/harness/index.ts';
import type { Manager } from '../../operator/manager.ts';
import { CLEANUP_DEADLINE_MS } from '../../operator/reconcilers/rps-model/finalize.ts';
import {
  NAMESPACE,
  apply,
  condition,
  eventually,
  getModel,
  jobsOf,
  leaseHolder as holderOf,
  modelYaml,
  patchModelSpec,
  startOperatorEnv,
  withoutRandomLeafRule,
  type OperatorEnv,
} from './operator-fixtures.ts';

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv();
});

afterAll(async () => {
  await env?.stop();
});

async function jobNames(model: string): Promise<string[]> {
  return (await jobsOf(env, model)).map((j) => j.metadata.name).sort();
}

async function eventNotes(name: string, reason: string): Promise<string[]> {
  const list = (await env.kube.custom.listNamespacedCustomObject({
    group: 'events.k8s.io',
    version: 'v1',
    namespace: NAMESPACE,
    plural: 'events',
  })) as { items: { reason: string; note: string; type: string; regarding: { name: string } }[] };
  return list.items
    .filter((e) => e.regarding.name === name && e.reason === reason)
    .map((e) => `${e.type}: ${e.note}`);
}

const leaseHolder = () => holderOf(env);

/** Stops MinIO; the function it returns starts it again on the same port and data. */
async function stopMinio(): Promise<() => Promise<void>> {
  const port = Number(new URL(env.minio.endpoint).port);
  const { accessKey, secretKey } = env.minio;
  await env.minio.stop();
  return async () => {
    env.minio = await startMinio({ dir: env.dir, port, accessKey, secretKey });
  };
}

describe('a failing trainer', () => {
  let operator: Manager;
  beforeAll(async () => {
    operator = await env.startOperator();
  });
  afterAll(async () => {
    await operator.stop();
  });

  it('ends in a clear condition and Event with the trainer message, backs off, and a fixed spec recovers', async () => {
    // no data and no cold-start corpus: the trainer has nothing to train on
    await apply(
      env,
      modelYaml('bare')
        .replace('bootstrapGames: 12', 'bootstrapGames: 0')
        .replace('minTotalEvents: 150', 'minTotalEvents: 0'),
    );
    const failed = await eventually('TrainingFailed', async () => {
      const m = await getModel(env, 'bare');
      return condition(m, 'Training')?.reason === 'TrainingFailed' ? m : undefined;
    });
    expect(condition(failed, 'Training')?.message).toMatch(
      /training v1 failed \(attempt \d+\): .*dataset has 0 game/,
    );
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'TrainingFailed' });
    expect(failed.status?.training).toMatchObject({ version: 'v1' });
    // the next attempt waits the backoff (retryDelaySeconds 1, doubled, at most 2) after the failure
    const backoff =
      new Date(failed.status!.training!.nextRetryTime!).getTime() -
      new Date(failed.status!.training!.lastFailureTime!).getTime();
    expect(backoff).toBeGreaterThanOrEqual(1000);
    expect(backoff).toBeLessThanOrEqual(2000);
    const notes = await eventually('the Event', async () => (await eventNotes('bare', 'TrainingFailed'))[0]);
    expect(notes).toMatch(/^Warning: training v1 failed .*dataset has 0 game/);
    // retried with growing delays, never in a hot loop (compare with the failure seen first,
    // which on a slow machine may already be the second attempt)
    const seenAttempts = failed.status?.training?.attempts ?? 1;
    const retried = await eventually('a retry', async () => {
      const m = await getModel(env, 'bare');
      return (m.status?.training?.attempts ?? 0) > seenAttempts ? m : undefined;
    });
    const first = new Date(failed.status!.training!.lastFailureTime!).getTime();
    const second = new Date(retried.status!.training!.lastFailureTime!).getTime();
    expect(second - first).toBeGreaterThanOrEqual(1000);

    await patchModelSpec(env, 'bare', { training: { bootstrapGames: 12, minTotalEvents: 150 } });
    const fixed = await eventually('recovered', async () => {
      const m = await getModel(env, 'bare');
      return condition(m, 'Ready')?.status === 'True' ? m : undefined;
    });
    expect(fixed.status?.versions?.map((v) => v.name)).toEqual(['v1']);
    expect(fixed.status?.training?.attempts).toBe(0);
    expect(await jobNames('bare')).toEqual(['bare-train-v1']);
  });

  it('a hyperparameter combination an older CRD admitted but the trainer refuses: condition, Event, backoff, fixed by the spec', async () => {
    const yaml = modelYaml('huge', {
      spec: '  search: { random: { budget: 1, ranges: { trees: { values: [1000] }, depth: { values: [12] } } } }',
    })
      .replace('algorithm: logistic', 'algorithm: gbdt')
      .replace(
        'hyperparameters: { epochs: 3, batchSize: 256, patience: 1 }',
        'hyperparameters: { trees: 20, depth: 3 }',
      );
    // Today's CRD refuses it (a random search's largest corner over the leaf limit); an object
    // admitted before the CRD had that rule still reaches the trainer. Stand in for such an object:
    // without the rule for a moment, as the older CRD was.
    const removed = await withoutRandomLeafRule(env, () => apply(env, yaml));
    expect(removed.rule).toMatch(/self\.search\.random\.ranges\.trees/);
    const failed = await eventually('TrainingFailed', async () => {
      const m = await getModel(env, 'huge');
      return condition(m, 'Training')?.reason === 'TrainingFailed' ? m : undefined;
    });
    const refusal =
      /hyperparameters trees=1000 and depth=12 allow 4,096,000 leaves per class .*allowed is at most 1,048,576/;
    expect(condition(failed, 'Training')?.message).toMatch(refusal);
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'TrainingFailed' });
    expect(Date.parse(failed.status!.training!.nextRetryTime!)).toBeGreaterThan(
      Date.parse(failed.status!.training!.lastFailureTime!),
    );
    const note = await eventually('the Event', async () => (await eventNotes('huge', 'TrainingFailed'))[0]);
    expect(note).toMatch(/^Warning: training v1 failed /);
    expect(note).toMatch(refusal);

    await patchModelSpec(env, 'huge', { search: null });
    const fixed = await eventually('recovered', async () => {
      const m = await getModel(env, 'huge');
      return condition(m, 'Ready')?.status === 'True' ? m : undefined;
    });
    expect(fixed.status?.versions?.map((v) => v.name)).toEqual(['v1']);
    expect(fixed.status?.training?.attempts).toBe(0);
  });

  it('survives the object store going away: the Job waits for its keys, says why, and trains once the store is back', async () => {
    await apply(env, modelYaml('sturdy'));
    await eventually('v1', async () => condition(await getModel(env, 'sturdy'), 'Ready')?.status === 'True');
    const backUp = await stopMinio();
    try {
      await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'sturdy', 'rpsquest.dev/train-now=1']);
      // no keys can be minted: the Job stays suspended, without a pod, and no attempt is spent
      const note = await eventually(
        'TrainingKeysUnavailable while MinIO is down',
        async () => (await eventNotes('sturdy', 'TrainingKeysUnavailable'))[0],
      );
      expect(note).toMatch(
        /^Warning: Job sturdy-train-v2 waits for its object store keys: training keys for sturdy\/v2: /,
      );
      const v2 = (await jobsOf(env, 'sturdy')).find((j) => j.metadata.name === 'sturdy-train-v2');
      expect((v2?.spec as { suspend?: boolean }).suspend).toBe(true);
      const waiting = await getModel(env, 'sturdy');
      // Production keeps serving meanwhile
      expect(waiting.status?.aliases?.Production).toBe('v1');
      expect(waiting.status?.training?.attempts ?? 0).toBe(0);
    } finally {
      await backUp();
    }
    const recovered = await eventually('v2 registered', async () => {
      const m = await getModel(env, 'sturdy');
      return m.status?.versions?.some((v) => v.name === 'v2') ? m : undefined;
    });
    expect(recovered.status?.aliases?.Shadow2).toBe('v2');
    expect(await jobNames('sturdy')).toEqual(['sturdy-train-v1', 'sturdy-train-v2']);
  });
});

describe('the object store away when a finished Job is to be registered', () => {
  it('says ArtifactStoreUnavailable, keeps the Job, and registers the version once the store is back', async () => {
    // the operator is down while the Job runs; MinIO goes away after the trainer uploaded
    let operator = await env.startOperator();
    await apply(env, modelYaml('late'));
    await eventually('the Job', async () => (await jobNames('late')).length === 1);
    await operator.stop();
    await eventually('the Job complete', async () =>
      (await jobsOf(env, 'late'))[0]?.status?.conditions?.some(
        (c) => c.type === 'Complete' && c.status === 'True',
      ),
    );
    const backUp = await stopMinio();
    try {
      operator = await env.startOperator();
      const waiting = await eventually('ArtifactStoreUnavailable', async () => {
        const m = await getModel(env, 'late');
        return condition(m, 'Training')?.reason === 'ArtifactStoreUnavailable' ? m : undefined;
      });
      expect(condition(waiting, 'Training')?.message).toMatch(/^cannot read the artifacts of v1 yet: /);
      expect(waiting.status?.versions ?? []).toEqual([]);
      const note = await eventually(
        'the Warning',
        async () => (await eventNotes('late', 'ArtifactStoreUnavailable'))[0],
      );
      expect(note).toMatch(/^Warning: cannot read the artifacts of v1 yet: /);
    } finally {
      await backUp();
    }
    const ready = await eventually('v1 registered', async () => {
      const m = await getModel(env, 'late');
      return condition(m, 'Ready')?.status === 'True' ? m : undefined;
    });
    expect(ready.status?.versions?.map((v) => v.name)).toEqual(['v1']);
    expect(ready.status?.aliases).toEqual({ Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v1' });
    // the trainer's Job did it: no second Job, no retry counted as a failed training
    expect(await jobNames('late')).toEqual(['late-train-v1']);
    expect(await eventNotes('late', 'TrainingFailed')).toEqual([]);
    await operator.stop();
  });
});

describe('deleting a model while its artifacts cannot be deleted', () => {
  // the operator's clock runs ahead on demand, so that the cleanup deadline passes in a test
  let ahead = 0;
  let operator: Manager;
  beforeAll(async () => {
    operator = await env.startOperator({}, { now: () => new Date(Date.now() + ahead) });
  });
  afterAll(async () => {
    await operator.stop();
  });

  it('retries the cleanup with a Warning, and past the deadline gives up and lets the model go', async () => {
    await apply(env, modelYaml('doomed', { spec: '  retention: { deleteArtifactsOnDelete: true }' }));
    await eventually(
      'doomed Ready',
      async () => condition(await getModel(env, 'doomed'), 'Ready')?.status === 'True',
    );
    const backUp = await stopMinio();
    try {
      await env.kubectl(['-n', NAMESPACE, 'delete', 'rpsm', 'doomed', '--wait=false']);
      const failed = await eventually(
        'CleanupFailed',
        async () => (await eventNotes('doomed', 'CleanupFailed'))[0],
      );
      expect(failed).toMatch(/^Warning: delete artifacts under doomed\/: .*; retrying$/);
      // held by the finalizer while it retries
      const held = await getModel(env, 'doomed');
      expect(Date.parse(held.metadata.deletionTimestamp!)).toBeLessThanOrEqual(Date.now());
      expect(held.metadata.finalizers).toContain('rpsquest.dev/cleanup');

      ahead = CLEANUP_DEADLINE_MS + 10_000;
      const abandoned = await eventually(
        'CleanupAbandoned',
        async () => (await eventNotes('doomed', 'CleanupAbandoned'))[0],
      );
      expect(abandoned).toMatch(
        /^Warning: gave up after \d+ s, removing the finalizer anyway: delete artifacts under doomed\//,
      );
      await eventually('the model gone', async () => {
        const gone = await env.kube.custom
          .getNamespacedCustomObject({
            group: 'rpsquest.dev',
            version: 'v1alpha1',
            namespace: NAMESPACE,
            plural: 'rpsmodels',
            name: 'doomed',
          })
          .then(() => false)
          .catch(() => true);
        return gone || undefined;
      });
    } finally {
      ahead = 0;
      await backUp();
    }
    // what could not be deleted is still there: nothing was lost silently, and the Event said so
    expect((await env.store.list('doomed/')).length).toBeGreaterThan(0);
  });
});

describe('operator processes', () => {
  it('killed while a Job runs, the restarted operator creates no second Job and registers the version once', async () => {
    const first = env.spawnOperator('crash-1', { LEADER_ELECTION: 'false' });
    await apply(env, modelYaml('crash'));
    await eventually('the Job', async () => (await jobNames('crash')).length === 1, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = env.spawnOperator('crash-2', { LEADER_ELECTION: 'false' });
    const m = await eventually('Ready after restart', async () => {
      const x = await getModel(env, 'crash');
      return condition(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    expect(await jobNames('crash')).toEqual(['crash-train-v1']);
    expect(m.status?.versions?.map((v) => v.name)).toEqual(['v1']);
    // one entry for the first version's four aliases, written once across the restart
    expect(m.status?.aliasHistory?.filter((h) => h.reason === 'FirstVersion')).toMatchObject([
      { alias: 'Production, B, Shadow1, Shadow2', to: 'v1' },
    ]);
    // the Event follows the status write
    const registered = await eventually('the VersionRegistered Event', async () => {
      const notes = await eventNotes('crash', 'VersionRegistered');
      return notes.length ? notes : undefined;
    });
    expect(registered).toHaveLength(1);
    await second.stop();
  });

  it('with two replicas one leads; when it is killed the other takes over the Lease and the work', async () => {
    const lease = {
      LEADER_ELECTION: 'true',
      LEASE_DURATION_SECONDS: '4',
      RENEW_DEADLINE_SECONDS: '3',
      RETRY_PERIOD_SECONDS: '1',
    };
    const a = env.spawnOperator('replica-a', lease);
    const b = env.spawnOperator('replica-b', lease);
    const leader = await eventually('a leader', leaseHolder, 60_000);
    expect(['replica-a', 'replica-b']).toContain(leader);
    await apply(env, modelYaml('led'));
    await eventually(
      'led Ready',
      async () => condition(await getModel(env, 'led'), 'Ready')?.status === 'True',
      60_000,
    );

    const [killed, standby] = leader === 'replica-a' ? [a, b] : [b, a];
    killed.child.kill('SIGKILL');
    await killed.exited;
    const next = await eventually(
      'the other replica leads',
      async () => {
        const h = await leaseHolder();
        return h && h !== leader ? h : undefined;
      },
      30_000,
    );
    expect(next).toBe(standby.name);
    await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'led', 'rpsquest.dev/train-now=after-failover']);
    await eventually('v2 by the new leader', async () =>
      (await getModel(env, 'led')).status?.versions?.some((v) => v.name === 'v2'),
    );
    // a graceful stop releases the Lease at once
    await standby.stop();
    expect(await leaseHolder()).toBeUndefined();
  });
});
