import { ArtifactStoreError } from '../../../lib/artifact-store.ts';
import { enterNewVersion, normalizeAliases } from '../../decisions/aliases.ts';
import { gateVerdict } from '../../decisions/entry-gate.ts';
import { registeredNote, trainingAfterRegistration, versionRecord } from '../../decisions/registration.ts';
import { failedAttempt, failureNote, trainJobName, type JobView } from '../../decisions/training.ts';
import { addVersion, versionPrefix } from '../../decisions/versions.ts';
import { readVersionArtifacts, type VersionArtifacts } from '../../version-artifacts.ts';
import { recordAliasChanges } from './aliases.ts';
import { JOB_STARTED_POLL_MS, launch } from './jobs.ts';
import { Deferred, type ModelState, type StepResult } from './state.ts';

/**
 * Registers a trained version: its record from the uploaded metadata, the entry gate's verdict,
 * and the alias it enters. Invalid artifacts count as a failed attempt.
 */
export async function register(
  state: ModelState,
  version: string,
  job: JobView | undefined,
): Promise<StepResult> {
  const { ctx, status } = state;
  let artifacts: VersionArtifacts;
  try {
    artifacts = await readVersionArtifacts(ctx.store, state.model, version);
  } catch (err) {
    return registrationUnavailable(state, version, err);
  }
  if (!artifacts.ok) {
    const { attempts, nextRetryTime } = failedAttempt(status.training, state.model.spec.training, state.now);
    const failed: JobView = job ?? { name: trainJobName(state.name, version), uid: '', state: 'failed' };
    const message = `registration failed: ${artifacts.error}`;
    return recordFailure(state, version, failed, message, attempts, nextRetryTime, 'RegistrationFailed');
  }
  const record = versionRecord(
    artifacts.metadata,
    artifacts.uri,
    job?.name ?? status.training?.job,
    status.training,
    state.nowIso,
  );
  const gate = gateVerdict(record.evaluation, state.settings.entryGate, status.aliases?.Production);
  if (gate && record.evaluation) record.evaluation.gate = gate;
  status.versions = addVersion(status.versions, record);
  status.training = trainingAfterRegistration(status.training, state.nowIso);
  const note = registeredNote(record);
  state.event('Normal', 'VersionRegistered', 'Register', note);
  state.condition({ type: 'Training', status: 'False', reason: 'Idle', message: note });
  ctx.metrics.trainingJobs.inc({ model: state.name, result: 'succeeded' });

  const before = normalizeAliases(status.aliases);
  const first = !before.Production;
  const after = enterNewVersion(before, version, state.settings.newVersionAlias, {
    mayEnterB: gate?.passed ?? true,
  });
  recordAliasChanges(state, before, after, () => (first ? 'FirstVersion' : 'NewVersion'));
  status.aliases = after;
  if (gate && !gate.passed && !first) {
    state.event('Normal', 'GateBlocked', 'Register', `${version} may not enter B: ${gate.message}`);
  }
  return {};
}

/** A failed attempt (of the Job, or of registering what it uploaded): retried with backoff. */
export function recordFailure(
  state: ModelState,
  version: string,
  job: JobView,
  message: string,
  attempts: number,
  nextRetryTime: string,
  reason: 'TrainingFailed' | 'RegistrationFailed',
): StepResult {
  state.status.training = {
    ...state.status.training,
    attempts,
    lastFailedJobUid: job.uid,
    lastFailureTime: job.finishedAt ?? state.nowIso,
    lastFailureMessage: message,
    nextRetryTime,
  };
  const note = failureNote(version, attempts, message, nextRetryTime);
  state.condition({ type: 'Training', status: 'False', reason: 'TrainingFailed', message: note });
  state.event('Warning', reason, 'Train', note);
  state.ctx.metrics.trainingJobs.inc({ model: state.name, result: 'failed' });
  return { requeueAfterMs: new Date(nextRetryTime).getTime() - state.now.getTime() };
}

/** The object store cannot be read: status says so and is still written; the queue's backoff retries. */
function registrationUnavailable(state: ModelState, version: string, err: unknown): StepResult {
  const message = `cannot read the artifacts of ${version} yet: ${(err as Error).message}`;
  state.condition({ type: 'Training', status: 'False', reason: 'ArtifactStoreUnavailable', message });
  state.event('Warning', 'ArtifactStoreUnavailable', 'Register', message);
  return { error: err instanceof ArtifactStoreError ? err : new Deferred(message) };
}

/** The version's Job is gone: register it if the trainer finished its upload, else create the Job again. */
export async function recover(state: ModelState, version: string): Promise<StepResult> {
  let exists: boolean;
  try {
    exists = await state.ctx.store.exists(`${versionPrefix(state.name, version)}metadata.json`);
  } catch (err) {
    return registrationUnavailable(state, version, err);
  }
  if (exists) return register(state, version, undefined);
  await launch(state, version, state.status.training?.trigger ?? 'created', state.status.training);
  // no status write: an earlier one allocated the version; the next reconcile follows the Job
  return { done: true, requeueAfterMs: JOB_STARTED_POLL_MS };
}
