import { describe, expect, it } from 'vitest';
import { ArtifactStoreError } from '../../lib/artifact-store.ts';
import { findCondition } from '../../operator/decisions/conditions.ts';
import type { Job } from '../../operator/decisions/training-job.ts';
import { MODEL_STEPS, reconcileRpsModel, runSteps } from '../../operator/reconcilers/rps-model.ts';
import { ModelState, type Step } from '../../operator/reconcilers/rps-model/state.ts';
import type { RpsModel, TrainingStatus } from '../../operator/resources.ts';
import { fakeContext, servingModel, storedModel, type FakeOptions } from './operator-fake-context.ts';

const step =
  (result: Awaited<ReturnType<Step>>, effect: (s: ModelState) => void = () => {}): Step =>
  async (s) => {
    effect(s);
    return result;
  };

function setup(model: RpsModel, options: FakeOptions = {}) {
  const fake = fakeContext({ ...options, models: [model] });
  return { ...fake, state: new ModelState(fake.ctx, model) };
}

describe('the RpsModel reconcile fold', () => {
  it('lists the steps in their order: training, aliases, retention, serving, ready', () => {
    expect(MODEL_STEPS.map((s) => s.name)).toEqual(['training', 'aliases', 'retention', 'serving', 'ready']);
  });

  it('returns the earliest requeue any step asked for, at least 1 ms', async () => {
    const { state } = setup(storedModel());
    const steps = [step({ requeueAfterMs: 3000 }), step({}), step({ requeueAfterMs: 1000 })];
    expect(await runSteps(state, steps)).toEqual({ requeueAfterMs: 1000 });
    const overdue = setup(storedModel());
    expect(await runSteps(overdue.state, [step({ requeueAfterMs: -250 })])).toEqual({ requeueAfterMs: 1 });
    const quiet = setup(storedModel());
    expect(await runSteps(quiet.state, [step({})])).toEqual({});
  });

  it("after a step's error runs the later steps, writes status, records the Events, then throws the first error", async () => {
    const { state, calls, statusWrites } = setup(storedModel());
    const ran: string[] = [];
    const first = new Error('the object store is down');
    const steps = [
      step({ error: first }, (s) => {
        ran.push('one');
        s.condition({
          type: 'Training',
          status: 'False',
          reason: 'ArtifactStoreUnavailable',
          message: 'down',
        });
        s.event('Warning', 'ArtifactStoreUnavailable', 'Register', 'down');
      }),
      step({ error: new Error('the ConfigMap apply failed'), requeueAfterMs: 10 }, () => ran.push('two')),
      step({}, () => ran.push('three')),
    ];
    await expect(runSteps(state, steps)).rejects.toBe(first);
    expect(ran).toEqual(['one', 'two', 'three']);
    expect(calls).toEqual(['status.write -', 'event ArtifactStoreUnavailable']);
    expect(findCondition(statusWrites[0]!.conditions, 'Training')?.reason).toBe('ArtifactStoreUnavailable');
  });

  it('skips the later steps, writes no status and records no Event when a step throws', async () => {
    const { state, calls } = setup(storedModel());
    const ran: string[] = [];
    const steps: Step[] = [
      step({ requeueAfterMs: 5 }, (s) => {
        ran.push('one');
        s.event('Normal', 'VersionRegistered', 'Register', 'v1');
      }),
      async () => {
        ran.push('two');
        throw new Error('the API server refused the Job');
      },
      step({}, () => ran.push('three')),
    ];
    await expect(runSteps(state, steps)).rejects.toThrow('the API server refused the Job');
    expect(ran).toEqual(['one', 'two']);
    expect(calls).toEqual([]);
  });

  it('ends the reconcile after a step that is done: it wrote status itself', async () => {
    const { state, calls } = setup(storedModel());
    const ran: string[] = [];
    const steps = [
      step({ requeueAfterMs: 9000 }, () => ran.push('one')),
      step({ done: true, requeueAfterMs: 5000 }, () => ran.push('two')),
      step({ requeueAfterMs: 1 }, () => ran.push('three')),
    ];
    expect(await runSteps(state, steps)).toEqual({ requeueAfterMs: 5000 });
    expect(ran).toEqual(['one', 'two']);
    expect(calls).toEqual([]);
  });

  it('writes no status when the steps left it as it was read', async () => {
    const { state, calls } = setup(storedModel({ observedGeneration: 1 }));
    expect(await runSteps(state, [step({})])).toEqual({});
    expect(calls).toEqual([]);
  });
});

const trainingJob = (version: string, condition: 'Complete' | 'Failed'): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: `logan-train-${version}`,
    namespace: 'ns',
    uid: `job-${version}`,
    labels: { 'rpsquest.dev/model': 'logan', 'rpsquest.dev/version': version },
    ownerReferences: [
      { apiVersion: 'rpsquest.dev/v1alpha1', kind: 'RpsModel', name: 'logan', uid: 'uid-logan' },
    ],
  },
  spec: {},
  status: {
    conditions: [{ type: condition, status: 'True', lastTransitionTime: '2025-12-31T23:00:00.000Z' }],
  },
});

/** The model with `version` allocated by a train-now request (and the fields given). */
function training(model: RpsModel, version: string, more: TrainingStatus = {}): RpsModel {
  const status = model.status!;
  status.training = {
    ...status.training,
    version,
    job: `logan-train-${version}`,
    trigger: 'trainNow',
    ...more,
  };
  return model;
}

describe('the RpsModel reconciler against fake clients', () => {
  it('writes the status that allocates v1 before it creates the Job, and leaves the other steps to the next reconcile', async () => {
    const model = storedModel();
    model.metadata.finalizers = [];
    const { ctx, calls, statusWrites, created, secrets } = fakeContext({ models: [model] });
    expect(await reconcileRpsModel(ctx, 'ns/logan')).toEqual({ requeueAfterMs: 5000 });
    // the Job is created suspended, gets its own keys (deadline 3600 s + 600 s), then starts
    expect(calls).toEqual([
      'finalizers rpsquest.dev/cleanup',
      'status.write v1',
      'create jobs logan-train-v1',
      'event TrainingStarted',
      'mint logan/v1 4200s',
      'create secrets logan-train-v1-s3-<nonce>',
      'resume jobs logan-train-v1',
    ]);
    const secretName = created[0]!.metadata.annotations!['rpsquest.dev/s3-secret'];
    expect(secrets).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({
          name: secretName,
          ownerReferences: [
            { apiVersion: 'batch/v1', kind: 'Job', name: 'logan-train-v1', uid: 'uid-logan-train-v1' },
          ],
        }),
        stringData: { accessKey: 'AK', secretKey: 'SK', sessionToken: 'TOKEN' },
      }),
    ]);
    expect(statusWrites[0]!.training).toMatchObject({
      version: 'v1',
      job: 'logan-train-v1',
      trigger: 'created',
    });
    expect(created[0]!.metadata.name).toBe('logan-train-v1');
  });

  it('replaces a failed Job only after the retry was written to status', async () => {
    const model = training(servingModel(['v1']), 'v2', {
      attempts: 1,
      lastFailedJobUid: 'job-v2',
      nextRetryTime: '2025-12-31T23:30:00.000Z',
    });
    const { ctx, calls, statusWrites } = fakeContext({
      models: [model],
      jobs: [trainingJob('v2', 'Failed')],
    });
    expect(await reconcileRpsModel(ctx, 'ns/logan')).toEqual({ requeueAfterMs: 5000 });
    expect(calls).toEqual([
      'status.write v2',
      'delete jobs logan-train-v2',
      'create jobs logan-train-v2',
      'event TrainingStarted',
      'mint logan/v2 4200s',
      'create secrets logan-train-v2-s3-<nonce>',
      'resume jobs logan-train-v2',
    ]);
    expect(statusWrites[0]!.training).toMatchObject({ version: 'v2', attempts: 1 });
    expect(statusWrites[0]!.training?.nextRetryTime).toBeUndefined();
  });

  it('while the object store is down, says so in status, still runs the later steps, then throws the store error', async () => {
    const model = training(servingModel(['v1']), 'v2');
    const down = new ArtifactStoreError('connect ECONNREFUSED 127.0.0.1:9000');
    const { ctx, calls, statusWrites } = fakeContext({
      models: [model],
      jobs: [trainingJob('v2', 'Complete')],
      storeDown: down,
      served: new Error('connect ECONNREFUSED 127.0.0.1:8080'),
    });
    await expect(reconcileRpsModel(ctx, 'ns/logan')).rejects.toBe(down);
    expect(calls).toEqual([
      'store.get logan/v2/metadata.json',
      'configmap.apply game-models logan.json',
      'game.models',
      'status.write v2',
      'event ArtifactStoreUnavailable',
      'event ManifestApplied',
    ]);
    const status = statusWrites[0]!;
    expect(findCondition(status.conditions, 'Training')?.reason).toBe('ArtifactStoreUnavailable');
    expect(findCondition(status.conditions, 'Served')?.reason).toBe('GameServerUnreachable');
    expect(findCondition(status.conditions, 'Ready')?.reason).toBe('GameServerUnreachable');
  });

  it("a failed manifest apply is the reconcile's error, after status and the retention Events are written", async () => {
    const spec = { retention: { keepVersions: 2, deleteArtifactsOnDelete: false } };
    const { ctx, calls, statusWrites, events } = fakeContext({
      models: [servingModel(['v1', 'v2', 'v3', 'v4'], spec)],
      deleteFails: ['logan/v2/'],
      applyFails: new Error('the API server is unavailable'),
    });
    await expect(reconcileRpsModel(ctx, 'ns/logan')).rejects.toThrow(
      'could not apply key logan.json of ConfigMap game-models: the API server is unavailable',
    );
    expect(calls).not.toContain('game.models');
    expect(calls.indexOf('status.write -')).toBeLessThan(calls.indexOf('event ArtifactDeleteFailed'));
    expect(events.map((e) => e.reason)).toEqual(['ArtifactDeleteFailed']);
    const status = statusWrites[0]!;
    expect(status.versions?.map((v) => v.name)).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(findCondition(status.conditions, 'Served')?.reason).toBe('ManifestApplyFailed');
    expect(findCondition(status.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'NotServed' });
  });

  it('requeues at the earliest step: the served check (2 s) before the retention retry (60 s)', async () => {
    const spec = { retention: { keepVersions: 2, deleteArtifactsOnDelete: false } };
    const { ctx, statusWrites } = fakeContext({
      models: [servingModel(['v1', 'v2', 'v3', 'v4'], spec)],
      deleteFails: ['logan/v2/'],
    });
    expect(await reconcileRpsModel(ctx, 'ns/logan')).toEqual({ requeueAfterMs: 2000 });
    expect(findCondition(statusWrites[0]!.conditions, 'Served')?.reason).toBe('ServingPending');
  });

  it('reconciled again once served, writes nothing and asks for no requeue', async () => {
    const model = servingModel(['v1']);
    const first = fakeContext({ models: [model] });
    await reconcileRpsModel(first.ctx, 'ns/logan');
    const sha = model.status!.versions![0]!.sha256;
    const loaded = { version: 'v1', sha256: sha, loaded: true };
    const served = {
      model: 'logan',
      manifest: 'present' as const,
      trafficSplit: { Production: 0.5, B: 0.5 },
      aliases: { Production: loaded, B: loaded, Shadow1: loaded, Shadow2: loaded },
    };
    const once = fakeContext({ models: [model], served: [served] });
    once.ctx.configMaps
      .list()
      .push({ metadata: { name: 'game-models', namespace: 'ns' }, data: first.applied });
    await reconcileRpsModel(once.ctx, 'ns/logan');
    expect(findCondition(once.statusWrites[0]!.conditions, 'Ready')?.reason).toBe('Serving');

    const again = fakeContext({ models: [{ ...model, status: once.statusWrites[0]! }], served: [served] });
    again.ctx.configMaps
      .list()
      .push({ metadata: { name: 'game-models', namespace: 'ns' }, data: first.applied });
    expect(await reconcileRpsModel(again.ctx, 'ns/logan')).toEqual({});
    expect(again.calls).toEqual(['game.models']);
  });
});
