import { DEFAULT_FEATURE_SET } from '../../core/index.ts';
import { createHash } from 'node:crypto';
import type {
  EpisodeTrigger,
  RpsModel,
  RpsModelSpec,
  TrainingStatus,
  TrainingTrigger,
} from '../resources.ts';
import { TRAIN_NOW_ANNOTATION } from '../resources.ts';
import type { ConditionInput } from './conditions.ts';
import { backoffDelay } from '../../lib/backoff.ts';
import { nextCronTime } from './schedule.ts';
import { scheduleEnabled } from './trigger-episode.ts';
import { nextVersion } from './versions.ts';

/**
 * The delay before retry `attempt` of a failed training. Each bound is defaulted from the other
 * when only one is set (30 s and 3600 s when neither is), so a user who sets one of them never
 * conflicts with a default they did not write.
 */
export function retryDelay(
  attempt: number,
  training: { retryDelaySeconds?: number; maxRetryDelaySeconds?: number } | undefined,
): number {
  const max = training?.maxRetryDelaySeconds;
  const base = training?.retryDelaySeconds ?? Math.min(30, max ?? 30);
  return backoffDelay(attempt, base * 1000, (max ?? Math.max(3600, base)) * 1000);
}

/** The attempt a failure (of the Job or of the registration after it) counts as, and when the next one starts. */
export function failedAttempt(
  training: TrainingStatus | undefined,
  spec: RpsModelSpec['training'],
  failedAt: Date,
): { attempts: number; nextRetryTime: string } {
  const attempts = (training?.attempts ?? 0) + 1;
  const delay = retryDelay(attempts, spec);
  return { attempts, nextRetryTime: new Date(failedAt.getTime() + delay).toISOString() };
}

/** A training Job as the decision sees it. */
export interface JobView {
  name: string;
  uid: string;
  version?: string;
  state: 'active' | 'succeeded' | 'failed';
  /** when it completed or failed */
  finishedAt?: string;
}

export function trainJobName(model: string, version: string): string {
  return `${model}-train-${version}`;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Hash of the spec fields that change what a training run produces (not schedule, gates or Job knobs). */
export function trainingSpecHash(spec: RpsModelSpec): string {
  const relevant = {
    algorithm: spec.algorithm,
    featureSet: spec.featureSet ?? DEFAULT_FEATURE_SET,
    hyperparameters: spec.hyperparameters ?? {},
    search: spec.search ?? null,
    maxEvents: spec.training?.maxEvents ?? null,
    bootstrapGames: spec.training?.bootstrapGames ?? null,
    syntheticStride: spec.training?.syntheticStride ?? null,
    seed: spec.training?.seed ?? null,
    // only when set, so that the hashes of the models that never set it stay as they were
    ...(spec.training?.inputs ? { inputs: [...spec.training.inputs].sort() } : {}),
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(relevant)))
    .digest('hex')
    .slice(0, 16);
}

export type TrainingAction =
  /** the Job of the version being trained succeeded: read its metadata and register it */
  | { kind: 'register'; version: string; job: JobView }
  /** the Job failed and the failure is not recorded yet */
  | { kind: 'recordFailure'; version: string; job: JobView; nextRetryTime: string; attempts: number }
  /** allocate (or reuse) the version, write status first, then create the Job (replacing a failed one) */
  | {
      kind: 'start';
      version: string;
      trigger: TrainingTrigger;
      training: TrainingStatus;
      replaceJob?: { name: string; uid: string };
    }
  /** the version is allocated but its Job is gone (never failed): register it if its artifacts exist, else create the Job */
  | { kind: 'recover'; version: string }
  /** the schedule is due: count rounds at the game server and decide again with the gates' verdict */
  | { kind: 'checkGates' }
  | { kind: 'wait'; condition: ConditionInput; requeueAfterMs?: number; training?: TrainingStatus };

export interface TrainingInput {
  model: RpsModel;
  jobs: readonly JobView[];
  now: Date;
  /** the verdict of the data gates, once asked for with `checkGates` */
  gates?: { pass: boolean; message: string };
  /** an episode trigger (drift, accuracyDrop) asks for a run, with its evidence (see decideTriggers) */
  triggered?: { trigger: EpisodeTrigger; evidence: string };
}

/** status.versions holds at most this many (the CRD's maxItems): keepVersions (≤ 50) plus aliased and pinned versions fit. */
export const MAX_STATUS_VERSIONS = 60;

/** The Training condition message (and Event note) of a failed attempt. */
export function failureNote(version: string, attempts: number, message: string, retryAt: string): string {
  return `training ${version} failed (attempt ${attempts}): ${message}; retrying at ${retryAt}`;
}

const running = (t: TrainingStatus, job: JobView): ConditionInput => ({
  type: 'Training',
  status: 'True',
  reason: 'JobRunning',
  message: `training ${t.version ?? job.version} (${t.trigger ?? 'unknown trigger'}) in Job ${job.name}`,
});

/**
 * The training state machine, level-based: from the model (spec, annotations, status) and its
 * Jobs, what to do now. Calling it again after the action was applied yields `wait` (or the next
 * step), never the same action twice.
 */
export function decideTraining(input: TrainingInput): TrainingAction {
  const { model, jobs, now } = input;
  const spec = model.spec;
  const t: TrainingStatus = model.status?.training ?? {};
  const versions = model.status?.versions ?? [];
  const suspended = spec.training?.suspend === true;
  const specHash = trainingSpecHash(spec);
  const trainNow = model.metadata.annotations?.[TRAIN_NOW_ANNOTATION];
  const trainNowPending = trainNow !== undefined && trainNow !== '' && trainNow !== t.lastTrainNow;
  const specChanged = t.specHash !== undefined && t.specHash !== specHash;
  const nowIso = now.toISOString();
  const suspendedCondition = (extra = ''): ConditionInput => ({
    type: 'Training',
    status: 'False',
    reason: 'Suspended',
    message: `spec.training.suspend is true: no new training Job starts${extra}`,
  });
  const start = (
    version: string,
    trigger: TrainingTrigger,
    keepAttempts: boolean,
    replaceJob?: JobView,
    evidence?: string,
  ): TrainingAction => ({
    kind: 'start',
    version,
    trigger,
    training: {
      ...t,
      version,
      job: trainJobName(model.metadata.name, version),
      trigger,
      specHash,
      attempts: keepAttempts ? (t.attempts ?? 0) : 0,
      ...(trainNow ? { lastTrainNow: trainNow } : {}),
      ...(trigger === 'schedule' ? { lastScheduleTime: nowIso } : {}),
      // a retry (keepAttempts) keeps the evidence of the first attempt
      triggerEvidence: evidence ?? (keepAttempts ? t.triggerEvidence : undefined),
      nextRetryTime: undefined,
      lastScheduleSkipped: undefined,
    },
    ...(replaceJob ? { replaceJob: { name: replaceJob.name, uid: replaceJob.uid } } : {}),
  });

  // A version is allocated and not registered yet: follow its Job.
  if (t.version && !versions.some((v) => v.name === t.version)) {
    const job = jobs.find((j) => j.name === trainJobName(model.metadata.name, t.version!));
    if (job?.state === 'active') return { kind: 'wait', condition: running(t, job) };
    // a succeeded Job whose artifacts could not be registered counts as failed
    if (job?.state === 'succeeded' && job.uid !== t.lastFailedJobUid)
      return { kind: 'register', version: t.version, job };
    if (job) {
      if (job.state === 'failed' && job.uid !== t.lastFailedJobUid) {
        const failedAt = job.finishedAt ? new Date(job.finishedAt) : now;
        return {
          kind: 'recordFailure',
          version: t.version,
          job,
          ...failedAttempt(t, spec.training, failedAt),
        };
      }
      const failed = (at: string) =>
        failureNote(t.version!, t.attempts ?? 1, t.lastFailureMessage ?? 'no message', at);
      if (suspended) return { kind: 'wait', condition: suspendedCondition(`; ${failed('resume')}`) };
      // a fix (spec change) or an explicit request retries at once
      if (specChanged) return start(t.version, 'specChanged', false, job);
      if (trainNowPending) return start(t.version, 'trainNow', false, job);
      const retryAt = t.nextRetryTime ? new Date(t.nextRetryTime) : now;
      if (now >= retryAt) return start(t.version, t.trigger ?? 'created', true, job);
      return {
        kind: 'wait',
        condition: {
          type: 'Training',
          status: 'False',
          reason: 'TrainingFailed',
          message: failed(retryAt.toISOString()),
        },
        requeueAfterMs: retryAt.getTime() - now.getTime(),
      };
    }
    if (suspended) return { kind: 'wait', condition: suspendedCondition(`; ${t.version} waits for its Job`) };
    const failedBefore = (t.attempts ?? 0) > 0;
    if (
      failedBefore &&
      !specChanged &&
      !trainNowPending &&
      t.nextRetryTime &&
      now < new Date(t.nextRetryTime)
    ) {
      return {
        kind: 'wait',
        condition: {
          type: 'Training',
          status: 'False',
          reason: 'TrainingFailed',
          message: failureNote(
            t.version,
            t.attempts ?? 1,
            t.lastFailureMessage ?? 'no message',
            t.nextRetryTime,
          ),
        },
        requeueAfterMs: new Date(t.nextRetryTime).getTime() - now.getTime(),
      };
    }
    if (failedBefore || specChanged || trainNowPending) {
      const trigger = specChanged ? 'specChanged' : trainNowPending ? 'trainNow' : (t.trigger ?? 'created');
      return start(t.version, trigger, !specChanged && !trainNowPending);
    }
    return { kind: 'recover', version: t.version };
  }

  const active = jobs.find((j) => j.state === 'active');
  if (active) return { kind: 'wait', condition: running(t, active) };
  if (suspended) return { kind: 'wait', condition: suspendedCondition() };
  // one more version would not fit the status (retention could not delete old artifacts)
  if (versions.length >= MAX_STATUS_VERSIONS) {
    return {
      kind: 'wait',
      condition: {
        type: 'Training',
        status: 'False',
        reason: 'VersionLimit',
        message: `${versions.length} versions are registered, the most status holds: no new version is trained until retention removes old ones (see the ArtifactDeleteFailed Events) or retention.keepVersions is lowered`,
      },
      requeueAfterMs: 60_000,
    };
  }

  const next = nextVersion([...versions.map((v) => v.name), t.version, ...jobs.map((j) => j.version)]);
  if (versions.length === 0 && t.specHash === undefined) return start(next, 'created', false);
  if (trainNowPending) return start(next, 'trainNow', false);
  if (specChanged) return start(next, 'specChanged', false);
  if (input.triggered) {
    return start(next, input.triggered.trigger, false, undefined, input.triggered.evidence);
  }

  const latest = versions[versions.length - 1]?.name;
  const idle: ConditionInput = {
    type: 'Training',
    status: 'False',
    reason: 'Idle',
    message: latest ? `${latest} is the latest version` : 'no version yet',
  };
  const schedule = spec.training?.schedule;
  if (!schedule || !scheduleEnabled(spec)) return { kind: 'wait', condition: idle };

  const base = new Date(t.lastScheduleTime ?? t.lastTrainingTime ?? model.metadata.creationTimestamp);
  const due = nextCronTime(schedule, base);
  if (!due.ok) {
    return {
      kind: 'wait',
      condition: { type: 'Training', status: 'False', reason: 'InvalidSchedule', message: due.error },
    };
  }
  if (now < due.time) {
    return {
      kind: 'wait',
      // a skipped slot stays visible until the next one
      condition: t.lastScheduleSkipped
        ? skippedCondition(t.lastScheduleSkipped, due.time)
        : { ...idle, message: `${idle.message}; next scheduled training at ${due.time.toISOString()}` },
      requeueAfterMs: due.time.getTime() - now.getTime(),
      training: { ...t, nextScheduleTime: due.time.toISOString() },
    };
  }
  if (!input.gates) return { kind: 'checkGates' };
  if (input.gates.pass) return start(next, 'schedule', false, undefined, input.gates.message);
  // this slot is skipped; the next one checks again
  const after = nextCronTime(schedule, now);
  const nextTime = after.ok ? after.time : new Date(now.getTime() + 3600_000);
  return {
    kind: 'wait',
    condition: skippedCondition(input.gates.message, nextTime),
    requeueAfterMs: nextTime.getTime() - now.getTime(),
    training: {
      ...t,
      lastScheduleTime: nowIso,
      lastScheduleSkipped: input.gates.message,
      nextScheduleTime: nextTime.toISOString(),
    },
  };
}

function skippedCondition(gates: string, next: Date): ConditionInput {
  return {
    type: 'Training',
    status: 'False',
    reason: 'WaitingForData',
    message: `scheduled training skipped: ${gates}; next check at ${next.toISOString()}`,
  };
}
