import { describe, expect, it } from 'vitest';
import {
  MAX_STATUS_VERSIONS,
  decideTraining,
  retryDelay,
  trainingSpecHash,
  type JobView,
} from '../../operator/decisions/training.ts';
import { compareWith, maxEventsFor } from '../../operator/decisions/training-job.ts';
import type { RpsModel, RpsModelSpec, RpsModelStatus } from '../../operator/resources.ts';
import { storedSpec } from '../support/crd-defaults.ts';

const created = '2025-03-01T00:00:00.000Z';
const spec = storedSpec({
  displayName: 'Logan',
  algorithm: 'logistic',
  hyperparameters: { epochs: 3 },
  training: { retryDelaySeconds: 10, maxRetryDelaySeconds: 60 },
});
const hash = trainingSpecHash(spec);
const v = (name: string) => ({
  name,
  uri: `s3://b/logan/${name}/model.onnx`,
  sha256: 'a'.repeat(64),
  trainedAt: created,
});

function model(
  status: RpsModelStatus = {},
  over: { spec?: Partial<RpsModelSpec>; annotations?: Record<string, string> } = {},
): RpsModel {
  return {
    apiVersion: 'rpsquest.dev/v1alpha1',
    kind: 'RpsModel',
    metadata: {
      name: 'logan',
      namespace: 'ns',
      uid: 'u',
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: created,
      ...(over.annotations ? { annotations: over.annotations } : {}),
    },
    spec: storedSpec({ ...spec, ...over.spec, training: { ...spec.training, ...over.spec?.training } }),
    status,
  };
}
const at = (iso: string) => new Date(iso);
const job = (state: JobView['state'], uid = 'j1', version = 'v1', finishedAt?: string): JobView => ({
  name: `logan-train-${version}`,
  uid,
  version,
  state,
  ...(finishedAt ? { finishedAt } : {}),
});

describe('training decisions', () => {
  it('a new model trains v1 (created)', () => {
    const a = decideTraining({ model: model(), jobs: [], now: at(created) });
    expect(a).toMatchObject({ kind: 'start', version: 'v1', trigger: 'created' });
    expect(a.kind === 'start' && a.training).toMatchObject({
      version: 'v1',
      job: 'logan-train-v1',
      specHash: hash,
      attempts: 0,
    });
  });

  it('follows the Job of the allocated version: running, then register', () => {
    const m = model({
      training: { version: 'v1', job: 'logan-train-v1', trigger: 'created', specHash: hash },
    });
    expect(decideTraining({ model: m, jobs: [job('active')], now: at(created) })).toMatchObject({
      kind: 'wait',
      condition: { type: 'Training', status: 'True', reason: 'JobRunning' },
    });
    expect(decideTraining({ model: m, jobs: [job('succeeded')], now: at(created) })).toMatchObject({
      kind: 'register',
      version: 'v1',
    });
  });

  it('a Job that never appeared (crash after allocating) is recovered, not reallocated', () => {
    const m = model({
      training: { version: 'v1', job: 'logan-train-v1', trigger: 'created', specHash: hash },
    });
    expect(decideTraining({ model: m, jobs: [], now: at(created) })).toEqual({
      kind: 'recover',
      version: 'v1',
    });
  });

  it('a failure is recorded once, then retried with exponential backoff, keeping the version and trigger', () => {
    const t = { version: 'v1', job: 'logan-train-v1', trigger: 'trainNow' as const, specHash: hash };
    const failed = job('failed', 'j1', 'v1', '2025-03-01T01:00:00.000Z');
    const first = decideTraining({
      model: model({ training: t }),
      jobs: [failed],
      now: at('2025-03-01T01:00:01.000Z'),
    });
    expect(first).toMatchObject({
      kind: 'recordFailure',
      attempts: 1,
      nextRetryTime: '2025-03-01T01:00:10.000Z',
    });

    const recorded = {
      ...t,
      attempts: 1,
      lastFailedJobUid: 'j1',
      nextRetryTime: '2025-03-01T01:00:10.000Z',
      lastFailureMessage: 'boom',
    };
    const waiting = decideTraining({
      model: model({ training: recorded }),
      jobs: [failed],
      now: at('2025-03-01T01:00:05.000Z'),
    });
    expect(waiting).toMatchObject({
      kind: 'wait',
      condition: { reason: 'TrainingFailed' },
      requeueAfterMs: 5000,
    });

    const retry = decideTraining({
      model: model({ training: recorded }),
      jobs: [failed],
      now: at('2025-03-01T01:00:10.000Z'),
    });
    expect(retry).toMatchObject({
      kind: 'start',
      version: 'v1',
      trigger: 'trainNow',
      replaceJob: { name: 'logan-train-v1', uid: 'j1' },
    });
    expect(retry.kind === 'start' && retry.training.attempts).toBe(1);

    // the second failure waits twice as long
    const second = decideTraining({
      model: model({ training: { ...recorded } }),
      jobs: [job('failed', 'j2', 'v1', '2025-03-01T01:00:20.000Z')],
      now: at('2025-03-01T01:00:21.000Z'),
    });
    expect(second).toMatchObject({
      kind: 'recordFailure',
      attempts: 2,
      nextRetryTime: '2025-03-01T01:00:40.000Z',
    });
  });

  it('backoff is capped at maxRetryDelaySeconds', () => {
    const t = {
      version: 'v1',
      trigger: 'created' as const,
      specHash: hash,
      attempts: 9,
      lastFailedJobUid: 'old',
    };
    const a = decideTraining({
      model: model({ training: t }),
      jobs: [job('failed', 'j9', 'v1', created)],
      now: at(created),
    });
    expect(a).toMatchObject({
      kind: 'recordFailure',
      attempts: 10,
      nextRetryTime: '2025-03-01T00:01:00.000Z',
    });
  });

  it('fixing the spec retries a failed version at once', () => {
    const t = {
      version: 'v1',
      trigger: 'created' as const,
      specHash: hash,
      attempts: 3,
      lastFailedJobUid: 'j1',
      nextRetryTime: '2099-01-01T00:00:00.000Z',
    };
    const fixed = model({ training: t }, { spec: { hyperparameters: { epochs: 4 } } });
    const a = decideTraining({ model: fixed, jobs: [job('failed')], now: at(created) });
    expect(a).toMatchObject({ kind: 'start', version: 'v1', trigger: 'specChanged' });
    expect(a.kind === 'start' && a.training.attempts).toBe(0);
  });

  it('train-now, spec changes and at most one active Job', () => {
    const idle = { specHash: hash, lastTrainingTime: created };
    expect(
      decideTraining({ model: model({ versions: [v('v1')], training: idle }), jobs: [], now: at(created) }),
    ).toMatchObject({
      kind: 'wait',
      condition: { reason: 'Idle' },
    });
    const now = decideTraining({
      model: model(
        { versions: [v('v1')], training: idle },
        { annotations: { 'rpsquest.dev/train-now': '42' } },
      ),
      jobs: [],
      now: at(created),
    });
    expect(now).toMatchObject({
      kind: 'start',
      version: 'v2',
      trigger: 'trainNow',
      training: { lastTrainNow: '42' },
    });
    // the same annotation value again does nothing
    expect(
      decideTraining({
        model: model(
          { versions: [v('v1')], training: { ...idle, lastTrainNow: '42' } },
          { annotations: { 'rpsquest.dev/train-now': '42' } },
        ),
        jobs: [],
        now: at(created),
      }).kind,
    ).toBe('wait');
    const changed = decideTraining({
      model: model({ versions: [v('v1')], training: idle }, { spec: { hyperparameters: { epochs: 9 } } }),
      jobs: [job('active', 'x', 'v7')],
      now: at(created),
    });
    expect(changed).toMatchObject({ kind: 'wait', condition: { reason: 'JobRunning' } });
    // versions only grow: past any version a Job names
    const next = decideTraining({
      model: model({ versions: [v('v1')], training: idle }, { spec: { hyperparameters: { epochs: 9 } } }),
      jobs: [job('succeeded', 'x', 'v7')],
      now: at(created),
    });
    expect(next).toMatchObject({ kind: 'start', version: 'v8', trigger: 'specChanged' });
  });

  it('suspend stops new Jobs and says so', () => {
    const a = decideTraining({
      model: model(
        {},
        { spec: { training: { suspend: true } }, annotations: { 'rpsquest.dev/train-now': '1' } },
      ),
      jobs: [],
      now: at(created),
    });
    expect(a).toMatchObject({
      kind: 'wait',
      condition: { type: 'Training', status: 'False', reason: 'Suspended' },
    });
  });

  it('on the schedule, asks for the data gates and trains only when they pass', () => {
    const idle = { specHash: hash, lastTrainingTime: '2025-03-01T00:30:00.000Z' };
    const m = model(
      { versions: [v('v1')], training: idle },
      { spec: { training: { schedule: '0 * * * *' } } },
    );
    const before = decideTraining({ model: m, jobs: [], now: at('2025-03-01T00:45:00.000Z') });
    expect(before).toMatchObject({
      kind: 'wait',
      requeueAfterMs: 15 * 60_000,
      training: { nextScheduleTime: '2025-03-01T01:00:00.000Z' },
    });
    const due = at('2025-03-01T01:00:05.000Z');
    expect(decideTraining({ model: m, jobs: [], now: due })).toEqual({ kind: 'checkGates' });
    expect(
      decideTraining({ model: m, jobs: [], now: due, gates: { pass: true, message: 'ok' } }),
    ).toMatchObject({
      kind: 'start',
      version: 'v2',
      trigger: 'schedule',
      training: { lastScheduleTime: due.toISOString() },
    });
    const skipped = decideTraining({
      model: m,
      jobs: [],
      now: due,
      gates: { pass: false, message: '3 new rounds, need 500' },
    });
    expect(skipped).toMatchObject({
      kind: 'wait',
      condition: { reason: 'WaitingForData' },
      training: { lastScheduleTime: due.toISOString(), nextScheduleTime: '2025-03-01T02:00:00.000Z' },
    });
    expect(skipped.kind === 'wait' && skipped.condition.message).toContain('3 new rounds, need 500');

    // the next reconcile before the next slot still says why the last one was skipped
    const afterSkip = model(
      { versions: [v('v1')], training: skipped.kind === 'wait' ? skipped.training : undefined },
      { spec: { training: { schedule: '0 * * * *' } } },
    );
    const later = decideTraining({ model: afterSkip, jobs: [], now: at('2025-03-01T01:30:00.000Z') });
    expect(later).toMatchObject({
      kind: 'wait',
      condition: {
        reason: 'WaitingForData',
        message: 'scheduled training skipped: 3 new rounds, need 500; next check at 2025-03-01T02:00:00.000Z',
      },
    });
    // a run clears it
    const next = decideTraining({
      model: afterSkip,
      jobs: [],
      now: at('2025-03-01T02:00:01.000Z'),
      gates: { pass: true, message: 'ok' },
    });
    expect(next).toMatchObject({ kind: 'start', version: 'v2', trigger: 'schedule' });
    expect(next.kind === 'start' && next.training.lastScheduleSkipped).toBeUndefined();
  });

  it('the spec hash ignores what does not change the trained model', () => {
    expect(
      trainingSpecHash({ ...spec, training: { ...spec.training, schedule: '@daily', suspend: true } }),
    ).toBe(hash);
    expect(trainingSpecHash({ ...spec, hyperparameters: { epochs: 4 } })).not.toBe(hash);
    expect(trainingSpecHash({ ...spec, training: { ...spec.training, seed: 7 } })).not.toBe(hash);
    // the input methods change the data; in any order the same
    const noCamera = trainingSpecHash({ ...spec, training: { ...spec.training, inputs: ['click', 'key'] } });
    expect(noCamera).not.toBe(hash);
    expect(trainingSpecHash({ ...spec, training: { ...spec.training, inputs: ['key', 'click'] } })).toBe(
      noCamera,
    );
  });
});

describe('triggered training', () => {
  const idle = model({
    versions: [v('v1')],
    aliases: { Production: 'v1' },
    training: { specHash: hash, attempts: 0 },
  });
  const drift = { trigger: 'drift' as const, evidence: 'PSI 0.400 ≥ 0.2' };

  it('starts the next version with the trigger and keeps its evidence for the version', () => {
    const action = decideTraining({
      model: idle,
      jobs: [],
      now: at('2025-03-02T00:00:00Z'),
      triggered: drift,
    });
    expect(action).toMatchObject({ kind: 'start', version: 'v2', trigger: 'drift' });
    expect(action.kind === 'start' && action.training.triggerEvidence).toBe('PSI 0.400 ≥ 0.2');
    const drop = decideTraining({
      model: idle,
      jobs: [],
      now: at('2025-03-02T00:00:00Z'),
      triggered: { trigger: 'accuracyDrop', evidence: '12.5 points lower' },
    });
    expect(drop).toMatchObject({ kind: 'start', version: 'v2', trigger: 'accuracyDrop' });
  });

  it('a retry keeps the evidence, another trigger drops it', () => {
    const failed = model({
      versions: [v('v1')],
      aliases: { Production: 'v1' },
      training: {
        specHash: hash,
        version: 'v2',
        job: 'logan-train-v2',
        trigger: 'drift',
        triggerEvidence: 'PSI 0.400 ≥ 0.2',
        attempts: 1,
        lastFailedJobUid: 'j2',
        nextRetryTime: '2025-03-02T00:00:10.000Z',
      },
    });
    const retry = decideTraining({
      model: failed,
      jobs: [job('failed', 'j2', 'v2', '2025-03-02T00:00:00Z')],
      now: at('2025-03-02T00:01:00Z'),
    });
    expect(retry).toMatchObject({ kind: 'start', version: 'v2', trigger: 'drift' });
    expect(retry.kind === 'start' && retry.training.triggerEvidence).toBe('PSI 0.400 ≥ 0.2');
    const fixed = decideTraining({
      model: model(failed.status, { spec: { hyperparameters: { epochs: 9 } } }),
      jobs: [job('failed', 'j2', 'v2', '2025-03-02T00:00:00Z')],
      now: at('2025-03-02T00:00:05Z'),
    });
    expect(fixed).toMatchObject({ kind: 'start', version: 'v2', trigger: 'specChanged' });
    expect(fixed.kind === 'start' && fixed.training.triggerEvidence).toBeUndefined();
  });

  it('waits for a running Job before acting on a trigger', () => {
    const running = model({
      versions: [v('v1')],
      training: { specHash: hash, version: 'v2', job: 'logan-train-v2' },
    });
    const action = decideTraining({
      model: running,
      jobs: [job('active', 'j2', 'v2')],
      now: at('2025-03-02T00:00:00Z'),
      triggered: drift,
    });
    expect(action.kind).toBe('wait');
  });

  it('does not start on a trigger while suspended', () => {
    const suspended = model(idle.status, { spec: { training: { suspend: true } } });
    const action = decideTraining({
      model: suspended,
      jobs: [],
      now: at('2025-03-02T00:00:00Z'),
      triggered: drift,
    });
    expect(action).toMatchObject({ kind: 'wait', condition: { reason: 'Suspended' } });
  });

  it('a schedule not listed in triggers does not run', () => {
    const scheduled = model(
      { ...idle.status, training: { specHash: hash, lastTrainingTime: '2025-03-01T00:00:00Z' } },
      { spec: { training: { schedule: '@hourly', triggers: [{ type: 'drift' }] } } },
    );
    const action = decideTraining({ model: scheduled, jobs: [], now: at('2025-03-02T00:00:00Z') });
    expect(action).toMatchObject({ kind: 'wait', condition: { reason: 'Idle' } });
    const listed = model(scheduled.status, {
      spec: { training: { schedule: '@hourly', triggers: [{ type: 'schedule' }, { type: 'drift' }] } },
    });
    expect(decideTraining({ model: listed, jobs: [], now: at('2025-03-02T00:00:00Z') }).kind).toBe(
      'checkGates',
    );
    const started = decideTraining({
      model: listed,
      jobs: [],
      now: at('2025-03-02T00:00:00Z'),
      gates: { pass: true, message: '600 new and 5000 total rounds pass the gates' },
    });
    expect(started).toMatchObject({ kind: 'start', trigger: 'schedule' });
    expect(started.kind === 'start' && started.training.triggerEvidence).toBe(
      '600 new and 5000 total rounds pass the gates',
    );
  });
});

describe('the offline evaluation inputs of a training Job', () => {
  it('names the current Production and its model for the trainer to score beside the new version', () => {
    const m = model({ versions: [v('v1'), v('v2')], aliases: { Production: 'v2', B: 'v1' } });
    expect(compareWith(m)).toEqual([
      { name: 'RPS_COMPARE_VERSION', value: 'v2' },
      { name: 'RPS_COMPARE_URI', value: 's3://b/logan/v2/model.onnx' },
    ]);
  });

  it('names nothing before the first version', () => {
    expect(compareWith(model())).toEqual([]);
  });
});

describe('how many rounds a training run reads', () => {
  const triggers = {
    triggers: [
      { type: 'schedule' as const },
      { type: 'drift' as const, threshold: 0.2, maxEvents: 3000 },
      { type: 'accuracyDrop' as const, points: 10 },
    ],
  };
  it("reads training.maxEvents, and the trigger's own maxEvents for a run that trigger started", () => {
    const m = model({}, { spec: { training: { maxEvents: 50_000, ...triggers } } });
    expect(maxEventsFor(m, 'drift')).toBe(3000);
    expect(maxEventsFor(m, 'accuracyDrop')).toBe(50_000);
    expect(maxEventsFor(m, 'schedule')).toBe(50_000);
    expect(maxEventsFor(m, 'trainNow')).toBe(50_000);
  });

  it('defaults to 200,000 rounds', () => {
    expect(maxEventsFor(model(), 'created')).toBe(200_000);
    expect(maxEventsFor(model({}, { spec: { training: triggers } }), 'drift')).toBe(3000);
  });
});

describe('the status limit on versions', () => {
  it('trains no new version while status.versions is full, and says why', () => {
    const full = Array.from({ length: MAX_STATUS_VERSIONS }, (_, i) => v(`v${i + 1}`));
    const m = model(
      { versions: full, training: { specHash: hash } },
      { annotations: { 'rpsquest.dev/train-now': 'please' } },
    );
    const action = decideTraining({ model: m, jobs: [], now: at('2025-03-02T00:00:00Z') });
    expect(action).toMatchObject({
      kind: 'wait',
      condition: { type: 'Training', status: 'False', reason: 'VersionLimit' },
    });
    expect(action.kind === 'wait' ? action.condition.message : '').toMatch(/^60 versions are registered/);
    // one fewer, and the train-now request starts v61
    const roomy = model(
      { versions: full.slice(1), training: { specHash: hash } },
      { annotations: { 'rpsquest.dev/train-now': 'please' } },
    );
    expect(decideTraining({ model: roomy, jobs: [], now: at('2025-03-02T00:00:00Z') })).toMatchObject({
      kind: 'start',
      version: 'v61',
      trigger: 'trainNow',
    });
  });
});

describe('the retry delay of a failed training', () => {
  it('is 30 s doubling to 3600 s when neither bound is set', () => {
    expect([1, 2, 3].map((a) => retryDelay(a, undefined))).toEqual([30_000, 60_000, 120_000]);
    expect(retryDelay(20, {})).toBe(3_600_000);
  });

  it('starts at the cap when only a cap below 30 s is set, so the two never conflict', () => {
    expect(retryDelay(1, { maxRetryDelaySeconds: 10 })).toBe(10_000);
    expect(retryDelay(5, { maxRetryDelaySeconds: 10 })).toBe(10_000);
  });

  it('is capped at 3600 s when only the delay is set', () => {
    expect(retryDelay(1, { retryDelaySeconds: 3000 })).toBe(3_000_000);
    expect(retryDelay(2, { retryDelaySeconds: 3000 })).toBe(3_600_000);
  });

  it('follows both bounds when both are set', () => {
    expect(retryDelay(3, { retryDelaySeconds: 5, maxRetryDelaySeconds: 12 })).toBe(12_000);
    expect(retryDelay(2, { retryDelaySeconds: 5, maxRetryDelaySeconds: 12 })).toBe(10_000);
  });
});
