import { randomBytes } from 'node:crypto';
import { statusJson } from '../../decisions/status-json.ts';
import { awaitingKeys, grantFor, keysSecret, keysSecretName } from '../../decisions/training-keys.ts';
import { failureMessage, trainingJob, type Job } from '../../decisions/training-job.ts';
import { trainJobName, type TrainingAction } from '../../decisions/training.ts';
import { markTrained } from '../../decisions/trigger-episode.ts';
import { apiMessage, isConflict, isNotFound } from '../../kube.ts';
import type { TrainingStatus, TrainingTrigger } from '../../resources.ts';
import { createJob, createSecret, deleteJob, getJob, resumeJob, writeModelStatus } from './api.ts';
import { Deferred, type ModelState, type StepResult } from './state.ts';

/** How soon to look again after a training Job was started. */
export const JOB_STARTED_POLL_MS = 5000;

const startedNote = (state: ModelState, version: string, trigger: TrainingTrigger) =>
  `training ${version} (${trigger}) in Job ${trainJobName(state.name, version)}`;

/**
 * Starts a training run: status first, so that the allocated version survives a crash before its
 * Job exists; then the failed Job it replaces goes, and the new one is created.
 */
export async function startTraining(
  state: ModelState,
  action: Extract<TrainingAction, { kind: 'start' }>,
): Promise<StepResult> {
  const { ctx, status } = state;
  status.training = action.training;
  // an open episode counts any run on fresh data as its own (not only the one it started), in
  // the same status write that allocates the version
  if (status.triggers) {
    status.triggers = markTrained(status.triggers, status.aliases?.Production, action.version);
  }
  const note = startedNote(state, action.version, action.trigger);
  state.condition({ type: 'Training', status: 'True', reason: 'JobRunning', message: note });
  status.observedGeneration = state.generation;
  state.model = await writeModelStatus(ctx, state.model, statusJson(status));
  if (action.replaceJob) {
    try {
      await deleteJob(ctx, state.namespace, action.replaceJob.name, action.replaceJob.uid);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
  await launch(state, action.version, action.trigger, action.training);
  return { done: true, requeueAfterMs: JOB_STARTED_POLL_MS };
}

/**
 * Creates the version's Job. When this reconcile created it, records TrainingStarted and, for a
 * first attempt, TrainingTriggered (a retry keeps the first attempt's trigger: its Event was
 * recorded then), then gives the Job its keys. The Events are recorded at once: status was
 * written before, and a Job whose keys fail now gets them from a later reconcile.
 */
export async function launch(
  state: ModelState,
  version: string,
  trigger: TrainingTrigger,
  training: TrainingStatus | undefined,
): Promise<void> {
  const created = await createTrainingJob(state, version, trigger);
  if (!created) return;
  const { ctx, model } = state;
  await ctx.events.record('Normal', model, 'TrainingStarted', 'Train', startedNote(state, version, trigger));
  const { trigger: why, triggerEvidence } = training ?? {};
  if (
    (training?.attempts ?? 0) === 0 &&
    why &&
    triggerEvidence &&
    ['drift', 'accuracyDrop', 'schedule'].includes(why)
  ) {
    await ctx.events.record(
      'Normal',
      model,
      'TrainingTriggered',
      'Train',
      `${why} started ${version}: ${triggerEvidence}`,
    );
  }
  await provideKeys(state, created);
}

/** Creates the version's Job (suspended); undefined when it exists already (an earlier attempt created it). */
async function createTrainingJob(
  state: ModelState,
  version: string,
  trigger: TrainingTrigger,
): Promise<Job | undefined> {
  const { ctx, model } = state;
  const name = trainJobName(model.metadata.name, version);
  const secret = keysSecretName(name, randomBytes(4).toString('hex'));
  const job = trainingJob(model, version, trigger, ctx.jobSettings(state.namespace), secret);
  try {
    const created = await createJob(ctx, job);
    ctx.metrics.trainingJobs.inc({ model: state.name, result: 'created' });
    state.log.info({ job: job.metadata.name, trigger }, 'training job created');
    return created;
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  const existing = await getJob(ctx, state.namespace, job.metadata.name);
  if (
    existing.metadata.deletionTimestamp ||
    existing.metadata.uid === state.status.training?.lastFailedJobUid
  ) {
    // the replaced Job is still going away: try again shortly
    throw new Deferred(`Job ${job.metadata.name} is still being deleted`);
  }
  return undefined;
}

/**
 * Gives a suspended training Job its keys and resumes it: mints keys for the Job's version, writes
 * them into the Secret the Job names (owned by the Job), then lets the Job start. Called when the
 * Job was just created and by every reconcile that finds one still suspended, so a crash between
 * the steps converges: a Secret that exists already was written by an earlier attempt for this
 * very Job (its name carries the Job's nonce), and its keys were never used.
 */
export async function provideKeys(state: ModelState, job: Job): Promise<void> {
  const name = awaitingKeys(job);
  if (!name) return;
  const { ctx } = state;
  try {
    const keys = await ctx.mintTrainingKeys(grantFor(job, ctx.jobSettings(state.namespace).s3Bucket));
    await createSecret(ctx, keysSecret(job, name, keys));
  } catch (err) {
    if (!isConflict(err)) {
      // the Job waits suspended, without a pod: say why where `kubectl describe` shows it
      const why = `Job ${job.metadata.name} waits for its object store keys: ${apiMessage(err)}`;
      await ctx.events.record('Warning', state.model, 'TrainingKeysUnavailable', 'Train', why);
      throw err;
    }
  }
  await resumeJob(ctx, job);
  state.log.info({ job: job.metadata.name, secret: name }, 'training job resumed with its keys');
}

/** The trainer's termination message from the Job's newest pod (or the Job's own failure message). */
export async function jobFailure(state: ModelState, job: Job): Promise<string> {
  const { ctx } = state;
  const jobMessage = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  const fallback = jobMessage
    ? `${jobMessage.reason ?? 'Failed'}: ${jobMessage.message ?? ''}`.trim()
    : undefined;
  try {
    const pods = await ctx.kube.core.listNamespacedPod({
      namespace: job.metadata.namespace,
      labelSelector: `batch.kubernetes.io/job-name=${job.metadata.name}`,
    });
    const own = pods.items
      .filter((p) => (p.metadata?.ownerReferences ?? []).some((o) => o.uid === job.metadata.uid))
      .sort(
        (a, b) =>
          (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0),
      );
    const terminated = own.at(-1)?.status?.containerStatuses?.find((c) => c.name === 'trainer')
      ?.state?.terminated;
    if (terminated) return failureMessage(terminated.message, terminated.exitCode, fallback);
  } catch (err) {
    ctx.log.warn({ err: apiMessage(err), job: job.metadata.name }, 'could not read the failed pod');
  }
  return failureMessage(undefined, undefined, fallback);
}
