import { isDeepStrictEqual } from 'node:util';
import { ALIASES, type Alias, type ArtifactMetadata } from '../../core/index.ts';
import { ArtifactStoreError, sha256Hex } from '../../lib/artifact-store.ts';
import {
  aliasChanges,
  appendHistory,
  applyPins,
  enterNewVersion,
  normalizeAliases,
  protectedVersions,
  ALIAS_HISTORY_LIMIT,
} from '../decisions/aliases.ts';
import { accuracyText } from '../decisions/accuracy-format.ts';
import { setCondition, type ConditionInput } from '../decisions/conditions.ts';
import { statusJson } from '../decisions/status-json.ts';
import {
  accuracyDropTrigger,
  observeAccuracyDrop,
  type AccuracyDropTrigger,
} from '../decisions/accuracy-drop.ts';
import { observeDrift, driftTrigger } from '../decisions/drift-trigger.ts';
import { gateVerdict, versionEvaluation } from '../decisions/entry-gate.ts';
import {
  evaluationOutcome,
  policySettings,
  DEFAULT_ENTRY_ALIAS,
  DEFAULT_TRAFFIC_SPLIT,
} from '../decisions/promotion.ts';
import { gatesPass } from '../decisions/schedule.ts';
import { governingPolicy } from '../decisions/selection.ts';
import {
  buildManifest,
  manifestText,
  servedState,
  servingConfigMapName,
  servingKey,
} from '../decisions/serving.ts';
import { failureMessage, jobView, trainingJob, type Job } from '../decisions/training-job.ts';
import {
  decideTraining,
  failureNote,
  retryDelay,
  trainJobName,
  type JobView,
  type TrainingAction,
} from '../decisions/training.ts';
import {
  DEFAULT_TRIGGER_POLL_MS,
  decideTriggers,
  markTrained,
  type TriggerObservation,
} from '../decisions/trigger-episode.ts';

/** An episode ends once its trigger stayed quiet this many poll intervals. */
const EPISODE_QUIET_INTERVALS = 2;
import { addVersion, retainVersions, versionPrefix } from '../decisions/versions.ts';
import { readVersionArtifacts, type VersionArtifacts } from '../version-artifacts.ts';
import type { OperatorContext } from '../context.ts';
import type { EventType } from '../events.ts';
import { apiMessage, isConflict, isNotFound, mergePatch, serverSideApply } from '../kube.ts';
import {
  FIELD_MANAGER,
  FINALIZER,
  GROUP,
  MODEL_LABEL,
  RPS_MODELS,
  SERVING_LABEL,
  VERSION,
  objectKey,
  splitKey,
  type AliasHistoryEntry,
  type AliasMap,
  type AliasReason,
  type EpisodeTrigger,
  type PromotionPolicy,
  type RpsModel,
  type RpsModelStatus,
  type TrainingStatus,
  type TrainingTrigger,
  type VersionRecord,
} from '../resources.ts';
import type { ReconcileResult } from '../work-queue.ts';

/** Deleting an RpsModel waits at most this long for its cleanup (then gives up with an Event). */
export const CLEANUP_DEADLINE_MS = 120_000;
/** How often to look again while the game server has not loaded what was written. */
const SERVED_POLL_MS = 2000;
const UNREACHABLE_POLL_MS = 10_000;

type PendingEvent = { type: EventType; reason: string; action: string; note: string };

class Deferred extends Error {}

/** Writes the status subresource, guarded by the resourceVersion the decision was made from. */
export async function writeModelStatus(
  ctx: OperatorContext,
  model: RpsModel,
  status: RpsModelStatus,
): Promise<RpsModel> {
  return (await ctx.kube.custom.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: model.metadata.namespace,
    plural: RPS_MODELS,
    name: model.metadata.name,
    body: { ...model, status },
  })) as RpsModel;
}

async function setFinalizers(ctx: OperatorContext, model: RpsModel, finalizers: string[]): Promise<RpsModel> {
  return (await ctx.kube.custom.patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      namespace: model.metadata.namespace,
      plural: RPS_MODELS,
      name: model.metadata.name,
      body: { metadata: { finalizers, resourceVersion: model.metadata.resourceVersion } },
    },
    mergePatch(),
  )) as RpsModel;
}

function modelJobs(ctx: OperatorContext, model: RpsModel): Job[] {
  return ctx.jobs
    .list()
    .filter(
      (j) =>
        j.metadata.namespace === model.metadata.namespace &&
        j.metadata.labels?.[MODEL_LABEL] === model.metadata.name &&
        !j.metadata.deletionTimestamp &&
        (j.metadata.ownerReferences ?? []).some((o) => o.uid === model.metadata.uid),
    );
}

function versionRecord(
  md: ArtifactMetadata,
  uri: string,
  job: string | undefined,
  training: { trigger?: string; triggerEvidence?: string } | undefined,
  now: string,
): VersionRecord {
  const evaluation = versionEvaluation(md);
  return {
    name: md.version,
    uri,
    sha256: md.artifact.sha256,
    bytes: md.artifact.bytes,
    trainedAt: md.createdAt ?? now,
    featureSet: md.featureSet,
    ...(md.search
      ? {
          search: {
            best: md.search.best,
            candidates: md.search.candidates.map((c) => ({
              hyperparameters: c.hyperparameters,
              validationLogLoss: c.validationLogLoss,
              validationAccuracy: c.validationAccuracy,
            })),
          },
        }
      : {}),
    ...(job ? { job } : {}),
    ...(training?.trigger ? { trigger: training.trigger } : {}),
    ...(training?.triggerEvidence ? { triggerEvidence: training.triggerEvidence } : {}),
    ...(evaluation ? { evaluation } : {}),
    metrics: {
      accuracy: md.metrics.accuracy,
      logLoss: md.metrics.logLoss,
      baselineAccuracy: md.metrics.baselineAccuracy,
      rows: md.metrics.rows,
    },
    dataset: {
      events: md.dataset.events,
      games: md.dataset.games,
      humanEvents: md.dataset.humanEvents,
      syntheticEvents: md.dataset.syntheticEvents,
      ...(md.dataset.lastEventId !== undefined ? { lastEventId: md.dataset.lastEventId } : {}),
      ...(md.dataset.from ? { from: md.dataset.from } : {}),
      ...(md.dataset.to ? { to: md.dataset.to } : {}),
      sha256: md.dataset.sha256,
    },
  };
}

/** The trainer's termination message from the Job's newest pod (or the Job's own failure message). */
async function jobFailure(ctx: OperatorContext, job: Job): Promise<string> {
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

const reasonText: Record<AliasReason, string> = {
  FirstVersion: 'the first version serves every alias',
  NewVersion: 'a new version enters',
  Pinned: 'pinned by spec.aliases',
  Promoted: 'promoted',
  Demoted: 'demoted',
  Ranked: 'ranked by prediction accuracy',
};

/** One reconcile of one RpsModel: read the world, decide, apply the smallest change, write status. */
class ModelReconcile {
  private readonly status: RpsModelStatus;
  private readonly now: Date;
  private readonly nowIso: string;
  private readonly generation: number;
  private readonly pending: PendingEvent[] = [];
  private readonly requeues: number[] = [];
  private deferredError: unknown;
  private policy: PromotionPolicy | undefined;

  constructor(
    private readonly ctx: OperatorContext,
    private model: RpsModel,
  ) {
    this.status = structuredClone(model.status ?? {});
    this.now = ctx.now();
    this.nowIso = this.now.toISOString();
    this.generation = model.metadata.generation ?? 0;
  }

  private event(type: EventType, reason: string, action: string, note: string) {
    this.pending.push({ type, reason, action, note });
  }

  private condition(input: ConditionInput) {
    this.status.conditions = setCondition(this.status.conditions, input, this.generation, this.nowIso);
  }

  private requeue(ms: number | undefined) {
    if (ms !== undefined) this.requeues.push(Math.max(ms, 1));
  }

  private get log() {
    return this.ctx.log.child({
      rpsmodel: objectKey(this.model.metadata.namespace, this.model.metadata.name),
    });
  }

  async run(): Promise<ReconcileResult> {
    const { policy } = governingPolicy(this.model, this.ctx.policies.list());
    this.policy = policy;
    this.status.serving = { ...this.status.serving, policy: policy?.metadata.name };
    if (!policy) delete this.status.serving.policy;

    const started = await this.training();
    if (started) return { requeueAfterMs: 5000 };
    this.aliases();
    await this.retention();
    await this.serving();
    this.summary();
    await this.commit();
    if (this.deferredError) throw this.deferredError;
    return this.requeues.length ? { requeueAfterMs: Math.min(...this.requeues) } : {};
  }

  private settings() {
    return this.policy
      ? policySettings(this.policy.spec)
      : {
          trafficSplit: { ...DEFAULT_TRAFFIC_SPLIT },
          newVersionAlias: DEFAULT_ENTRY_ALIAS,
          entryGate: null,
          intervalMs: DEFAULT_TRIGGER_POLL_MS,
        };
  }

  /** Writes status when it changed, then records the Events of this reconcile. */
  private async commit(): Promise<void> {
    this.status.observedGeneration = this.generation;
    if (!isDeepStrictEqual(statusJson(this.status), this.model.status ?? {})) {
      this.model = await writeModelStatus(this.ctx, this.model, statusJson(this.status));
    }
    for (const e of this.pending)
      await this.ctx.events.record(e.type, this.model, e.reason, e.action, e.note);
    this.pending.length = 0;
  }

  // --- training ---------------------------------------------------------------------------

  /** Runs the training state machine one step; true when a Job was started (status already written). */
  private async training(): Promise<boolean> {
    const jobs = modelJobs(this.ctx, this.model);
    const views = jobs.map(jobView);
    const current = (): RpsModel => ({ ...this.model, status: this.status });
    const triggered = await this.triggers();
    let action: TrainingAction = decideTraining({ model: current(), jobs: views, now: this.now, triggered });
    if (action.kind === 'checkGates') {
      action = decideTraining({
        model: current(),
        jobs: views,
        now: this.now,
        triggered,
        gates: await this.gates(),
      });
    }
    switch (action.kind) {
      case 'wait':
        this.condition(action.condition);
        if (action.training) this.status.training = action.training;
        this.requeue(action.requeueAfterMs);
        return false;
      case 'register':
        await this.register(action.version, action.job);
        return false;
      case 'recordFailure': {
        const job = jobs.find((j) => j.metadata.uid === action.job.uid)!;
        const message = await jobFailure(this.ctx, job);
        this.recordFailure(action.version, action.job, message, action.attempts, action.nextRetryTime);
        this.ctx.metrics.trainingJobs.inc({ model: this.model.metadata.name, result: 'failed' });
        return false;
      }
      case 'recover':
        return this.recover(action.version);
      case 'start':
        await this.start(action);
        return true;
      default:
        return false;
    }
  }

  /**
   * The episode triggers listed in spec.training.triggers (drift, accuracyDrop): asks the game
   * server, sets their conditions and episodes, and returns the one that asks for a run now.
   */
  private async triggers(): Promise<{ trigger: EpisodeTrigger; evidence: string } | undefined> {
    const spec = this.model.spec;
    const drift = driftTrigger(spec);
    const accuracyDrop = accuracyDropTrigger(spec);
    // conditions of triggers no longer listed go away
    const unlisted = [drift ? '' : 'DriftDetected', accuracyDrop ? '' : 'AccuracyDropped'];
    if (this.status.conditions?.some((c) => unlisted.includes(c.type))) {
      this.status.conditions = this.status.conditions.filter((c) => !unlisted.includes(c.type));
    }
    if (!drift && !accuracyDrop) {
      delete this.status.triggers;
      this.ctx.triggerChecks.delete(objectKey(this.model.metadata.namespace, this.model.metadata.name));
      return undefined;
    }
    const name = this.model.metadata.name;
    const production = this.status.aliases?.Production;
    const intervalMs = this.settings().intervalMs;
    const key = objectKey(this.model.metadata.namespace, name);
    const basis = JSON.stringify([
      this.model.metadata.uid,
      this.generation,
      this.model.metadata.annotations ?? {},
      production ?? null,
    ]);
    const cached = this.ctx.triggerChecks.get(key);
    const age = cached ? this.now.getTime() - cached.at : Infinity;
    const observations =
      cached && cached.basis === basis && age >= 0 && age < intervalMs
        ? cached.observations
        : await this.observeTriggers(drift, accuracyDrop, production);
    if (observations !== cached?.observations) {
      this.ctx.triggerChecks.set(key, { basis, at: this.now.getTime(), observations });
    }
    const running = this.status.training?.version;
    const decision = decideTriggers({
      observations,
      previous: this.status.triggers,
      production,
      now: this.nowIso,
      ...(running && !this.status.versions?.some((v) => v.name === running) ? { running } : {}),
      quietMs: EPISODE_QUIET_INTERVALS * intervalMs,
    });
    for (const c of decision.conditions) this.condition(c);
    if (Object.keys(decision.triggers).length) this.status.triggers = decision.triggers;
    else delete this.status.triggers;
    // polled at the governing policy's interval (a minute without one)
    const checkedAt = this.ctx.triggerChecks.get(key)!.at;
    this.requeue(Math.max(checkedAt + intervalMs - this.now.getTime(), 1000));
    return decision.fire;
  }

  /** Asks the game server for what each listed episode trigger watches. */
  private async observeTriggers(
    drift: { threshold: number } | null,
    accuracyDrop: AccuracyDropTrigger | null,
    production: string | undefined,
  ): Promise<Partial<Record<EpisodeTrigger, TriggerObservation>>> {
    const name = this.model.metadata.name;
    const observations: Partial<Record<EpisodeTrigger, TriggerObservation>> = {};
    if (drift) {
      const observation = await this.ctx
        .game(this.model.metadata.namespace)
        .drift(name)
        .catch((err: Error) => err);
      observations.drift = observeDrift({ threshold: drift.threshold, production, observation });
    }
    if (accuracyDrop) {
      const since = new Date(this.now.getTime() - accuracyDrop.windowMs).toISOString();
      const stats = production
        ? await this.ctx
            .game(this.model.metadata.namespace)
            .versionStats(name, since, true)
            .catch((err: Error) => err)
        : [];
      observations.accuracyDrop = observeAccuracyDrop({
        trigger: accuracyDrop,
        production,
        testAccuracy: this.status.versions?.find((v) => v.name === production)?.metrics?.accuracy,
        stats,
      });
    }
    return observations;
  }

  private async gates(): Promise<{ pass: boolean; message: string }> {
    const t = this.model.spec.training ?? {};
    const minNew = t.minNewEvents ?? 500;
    const minTotal = t.minTotalEvents ?? 1000;
    const last = (this.status.versions ?? []).at(-1)?.dataset?.lastEventId ?? 0;
    try {
      const [newEvents, totalEvents] = await Promise.all([
        this.ctx.game(this.model.metadata.namespace).countEvents(last, minNew),
        this.ctx.game(this.model.metadata.namespace).countEvents(0, minTotal),
      ]);
      return gatesPass({ minNewEvents: minNew, minTotalEvents: minTotal }, { newEvents, totalEvents });
    } catch (err) {
      return { pass: false, message: `could not count rounds at the game server: ${(err as Error).message}` };
    }
  }

  private recordFailure(
    version: string,
    job: JobView,
    message: string,
    attempts: number,
    nextRetryTime: string,
    reason = 'TrainingFailed',
  ) {
    this.status.training = {
      ...this.status.training,
      attempts,
      lastFailedJobUid: job.uid,
      lastFailureTime: job.finishedAt ?? this.nowIso,
      lastFailureMessage: message,
      nextRetryTime,
    };
    const note = failureNote(version, attempts, message, nextRetryTime);
    this.condition({ type: 'Training', status: 'False', reason: 'TrainingFailed', message: note });
    this.event('Warning', reason, 'Train', note);
    this.requeue(new Date(nextRetryTime).getTime() - this.now.getTime());
  }

  private async register(version: string, job: JobView | undefined): Promise<void> {
    let artifacts: VersionArtifacts;
    try {
      artifacts = await readVersionArtifacts(this.ctx.store, this.model, version);
    } catch (err) {
      this.registrationUnavailable(version, err);
      return;
    }
    if (!artifacts.ok) {
      const attempts = (this.status.training?.attempts ?? 0) + 1;
      const delay = retryDelay(attempts, this.model.spec.training);
      const nextRetryTime = new Date(this.now.getTime() + delay).toISOString();
      const failed: JobView = job ?? {
        name: trainJobName(this.model.metadata.name, version),
        uid: '',
        state: 'failed',
      };
      this.recordFailure(
        version,
        failed,
        `registration failed: ${artifacts.error}`,
        attempts,
        nextRetryTime,
        'RegistrationFailed',
      );
      this.ctx.metrics.trainingJobs.inc({ model: this.model.metadata.name, result: 'failed' });
      return;
    }
    const record = versionRecord(
      artifacts.metadata,
      artifacts.uri,
      job?.name ?? this.status.training?.job,
      this.status.training,
      this.nowIso,
    );
    const gate = gateVerdict(record.evaluation, this.settings().entryGate, this.status.aliases?.Production);
    if (gate && record.evaluation) record.evaluation.gate = gate;
    this.status.versions = addVersion(this.status.versions, record);
    this.status.training = {
      ...(this.status.training?.specHash ? { specHash: this.status.training.specHash } : {}),
      ...(this.status.training?.lastTrainNow ? { lastTrainNow: this.status.training.lastTrainNow } : {}),
      ...(this.status.training?.lastScheduleTime
        ? { lastScheduleTime: this.status.training.lastScheduleTime }
        : {}),
      lastTrainingTime: this.nowIso,
      attempts: 0,
    };
    const acc = accuracyText(record.metrics!.accuracy);
    const note = `registered ${version} (accuracy ${acc} on ${record.metrics!.rows} held-out rounds, ${record.dataset!.events} rounds trained on, sha256 ${record.sha256.slice(0, 12)}…)`;
    this.event('Normal', 'VersionRegistered', 'Register', note);
    this.condition({ type: 'Training', status: 'False', reason: 'Idle', message: note });
    this.ctx.metrics.trainingJobs.inc({ model: this.model.metadata.name, result: 'succeeded' });

    const before = normalizeAliases(this.status.aliases);
    const first = !before.Production;
    const after = enterNewVersion(before, version, this.settings().newVersionAlias, {
      mayEnterB: gate?.passed ?? true,
    });
    this.recordAliasChanges(before, after, () => (first ? 'FirstVersion' : 'NewVersion'));
    this.status.aliases = after;
    if (gate && !gate.passed && !first) {
      this.event('Normal', 'GateBlocked', 'Register', `${version} may not enter B: ${gate.message}`);
    }
  }

  private registrationUnavailable(version: string, err: unknown) {
    const message = `cannot read the artifacts of ${version} yet: ${(err as Error).message}`;
    this.condition({ type: 'Training', status: 'False', reason: 'ArtifactStoreUnavailable', message });
    this.event('Warning', 'ArtifactStoreUnavailable', 'Register', message);
    // the status is still written; the queue's backoff retries
    this.deferredError = err instanceof ArtifactStoreError ? err : new Deferred(message);
  }

  /** The version's Job is gone: register it if the trainer finished its upload, else start the Job again. */
  private async recover(version: string): Promise<boolean> {
    let exists: boolean;
    try {
      exists = await this.ctx.store.exists(
        `${versionPrefix(this.model.metadata.name, version)}metadata.json`,
      );
    } catch (err) {
      this.registrationUnavailable(version, err);
      return false;
    }
    if (exists) {
      await this.register(version, undefined);
      return false;
    }
    const trigger = this.status.training?.trigger ?? 'created';
    if (await this.createJob(version, trigger)) {
      const note = `training ${version} (${trigger}) in Job ${trainJobName(this.model.metadata.name, version)}`;
      await this.ctx.events.record('Normal', this.model, 'TrainingStarted', 'Train', note);
      if ((this.status.training?.attempts ?? 0) === 0 && this.status.training) {
        await this.recordTriggered(version, this.status.training);
      }
    }
    return true;
  }

  private async start(action: Extract<TrainingAction, { kind: 'start' }>): Promise<void> {
    this.status.training = action.training;
    // an open episode counts any run on fresh data as its own (not only the one it started), in
    // the same status write that allocates the version
    if (this.status.triggers) {
      this.status.triggers = markTrained(
        this.status.triggers,
        this.status.aliases?.Production,
        action.version,
      );
    }
    const note = `training ${action.version} (${action.trigger}) in Job ${trainJobName(this.model.metadata.name, action.version)}`;
    this.condition({ type: 'Training', status: 'True', reason: 'JobRunning', message: note });
    // status first: the allocated version survives a crash before the Job exists
    this.status.observedGeneration = this.generation;
    this.model = await writeModelStatus(this.ctx, this.model, statusJson(this.status));
    if (action.replaceJob) {
      try {
        await this.ctx.kube.custom.deleteNamespacedCustomObject({
          group: 'batch',
          version: 'v1',
          namespace: this.model.metadata.namespace,
          plural: 'jobs',
          name: action.replaceJob.name,
          propagationPolicy: 'Background',
          body: { preconditions: { uid: action.replaceJob.uid } },
        });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    if (await this.createJob(action.version, action.trigger)) {
      await this.ctx.events.record('Normal', this.model, 'TrainingStarted', 'Train', note);
      // a retry keeps the first attempt's trigger and evidence: its Event was recorded then
      if ((action.training.attempts ?? 0) === 0) await this.recordTriggered(action.version, action.training);
    }
  }

  /** The TrainingTriggered Event of a run a drift, accuracyDrop or schedule trigger started. */
  private async recordTriggered(version: string, training: TrainingStatus): Promise<void> {
    const { trigger, triggerEvidence } = training;
    if (!trigger || !triggerEvidence || !['drift', 'accuracyDrop', 'schedule'].includes(trigger)) return;
    await this.ctx.events.record(
      'Normal',
      this.model,
      'TrainingTriggered',
      'Train',
      `${trigger} started ${version}: ${triggerEvidence}`,
    );
  }

  /** Creates the version's Job; false when it exists already (an earlier attempt created it). */
  private async createJob(version: string, trigger: TrainingTrigger): Promise<boolean> {
    const job = trainingJob(
      this.model,
      version,
      trigger,
      this.ctx.jobSettings(this.model.metadata.namespace),
    );
    const ref = { group: 'batch', version: 'v1', namespace: this.model.metadata.namespace, plural: 'jobs' };
    try {
      await this.ctx.kube.custom.createNamespacedCustomObject({ ...ref, body: job });
      this.ctx.metrics.trainingJobs.inc({ model: this.model.metadata.name, result: 'created' });
      this.log.info({ job: job.metadata.name, trigger }, 'training job created');
      return true;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    const existing = (await this.ctx.kube.custom.getNamespacedCustomObject({
      ...ref,
      name: job.metadata.name,
    })) as Job;
    if (
      existing.metadata.deletionTimestamp ||
      existing.metadata.uid === this.status.training?.lastFailedJobUid
    ) {
      // the replaced Job is still going away: try again shortly
      throw new Deferred(`Job ${job.metadata.name} is still being deleted`);
    }
    return false;
  }

  // --- aliases ----------------------------------------------------------------------------

  /** Records the changes in aliasHistory and returns their Event note; `emit` records the Event too. */
  private recordAliasChanges(
    from: AliasMap,
    to: AliasMap,
    reasonOf: (alias: Alias, from: string | undefined, to: string) => AliasReason,
    emit = true,
  ): string {
    const entries = aliasChanges(from, to, reasonOf, reasonText, this.nowIso);
    if (!entries.length) return '';
    this.status.aliasHistory = appendHistory(this.status.aliasHistory, entries, ALIAS_HISTORY_LIMIT);
    const reasons = [...new Set(entries.map((e) => e.reason))];
    const eventReason = reasons.includes('Promoted')
      ? 'Promoted'
      : reasons.includes('Pinned')
        ? 'AliasPinned'
        : reasons.includes('Ranked')
          ? 'AliasesRanked'
          : 'AliasesChanged';
    const groups = new Map<string, AliasHistoryEntry[]>();
    for (const e of entries)
      groups.set(`${e.to}|${e.reason}`, [...(groups.get(`${e.to}|${e.reason}`) ?? []), e]);
    const note = [...groups.values()]
      .map((g) => {
        const from = [...new Set(g.map((e) => e.from ?? 'none'))].join('/');
        return `${g.map((e) => e.alias).join(', ')}: ${from} → ${g[0]!.to} (${reasonText[g[0]!.reason]})`;
      })
      .join('; ');
    if (emit) this.event('Normal', eventReason, 'UpdateAliases', note);
    return note;
  }

  private aliases(): void {
    const registered = new Set((this.status.versions ?? []).map((v) => v.name));
    let aliases = normalizeAliases(this.status.aliases);
    // drop aliases whose version is gone (only possible when status was edited by hand)
    for (const a of ALIASES) if (aliases[a] && !registered.has(aliases[a])) delete aliases[a];

    // an evaluation of the governing policy that is due to be applied
    const policy = this.policy;
    const ev = policy?.status?.models?.find((m) => m.model === this.model.metadata.name)?.lastEvaluation;
    if (policy && ev) {
      const s = policySettings(policy.spec);
      if (evaluationOutcome(ev, s.mode, s.approve, aliases) === 'Pending') {
        const target = normalizeAliases(ev.target);
        if (ALIASES.every((a) => !target[a] || registered.has(target[a]))) {
          const promoted = target.Production !== aliases.Production;
          // a promotion is one Event, PromotionApplied, that also lists the alias changes
          const changes = this.recordAliasChanges(
            aliases,
            target,
            (alias) =>
              alias === 'Production' ? 'Promoted' : promoted && alias === 'B' ? 'Demoted' : 'Ranked',
            !promoted,
          );
          if (promoted) {
            this.event(
              'Normal',
              'PromotionApplied',
              'Promote',
              `${target.Production} promoted to Production by PromotionPolicy ${policy.metadata.name} (evaluation ${ev.id}): ${ev.reason}; ${changes}`,
            );
          }
          aliases = target;
          this.status.promotion = { lastAppliedEvaluation: ev.id, lastAppliedTime: this.nowIso };
        }
      }
    }

    const pinned = applyPins(aliases, this.model.spec.aliases, registered);
    this.recordAliasChanges(aliases, pinned.aliases, () => 'Pinned');
    aliases = pinned.aliases;
    this.status.aliases = aliases;
    this.pinsMissing = pinned.missing.map((m) => `${m.alias}: ${m.version}`);

    const c = this.status.challenge;
    if (aliases.Production && (c?.production !== aliases.Production || c?.b !== aliases.B)) {
      this.status.challenge = {
        production: aliases.Production,
        ...(aliases.B ? { b: aliases.B } : {}),
        since: this.nowIso,
      };
    }
  }

  private pinsMissing: string[] = [];

  // --- retention --------------------------------------------------------------------------

  private async retention(): Promise<void> {
    const versions = this.status.versions ?? [];
    const keepVersions = this.model.spec.retention?.keepVersions ?? 5;
    const protectedNames = protectedVersions(this.status.aliases, this.model.spec.aliases);
    const { keep, remove } = retainVersions(versions, keepVersions, protectedNames);
    if (!remove.length) return;
    const removed: string[] = [];
    for (const v of remove) {
      try {
        const n = await this.ctx.store.deletePrefix(versionPrefix(this.model.metadata.name, v.name));
        removed.push(v.name);
        this.log.info({ version: v.name, objects: n }, 'version removed');
      } catch (err) {
        keep.push(v);
        this.event(
          'Warning',
          'ArtifactDeleteFailed',
          'Retain',
          `could not delete the artifacts of ${v.name}: ${(err as Error).message}`,
        );
        this.requeue(60_000);
      }
    }
    this.status.versions = versions.filter((v) => !removed.includes(v.name));
    if (removed.length) {
      this.event(
        'Normal',
        'VersionsRemoved',
        'Retain',
        `removed ${removed.join(', ')} with ${removed.length === 1 ? 'its' : 'their'} artifacts (keepVersions ${keepVersions}; versions an alias or pin points at are kept)`,
      );
    }
  }

  // --- serving ----------------------------------------------------------------------------

  private async serving(): Promise<void> {
    const cmName = servingConfigMapName(this.model);
    const key = servingKey(this.model);
    const manifest = buildManifest(
      this.model,
      this.status.aliases ?? {},
      this.status.versions ?? [],
      this.settings().trafficSplit,
    );
    if (!manifest) {
      this.condition({
        type: 'Served',
        status: 'False',
        reason: 'NoVersion',
        message: 'no version to serve yet',
      });
      return;
    }
    const text = manifestText(manifest);
    const sha = sha256Hex(text);
    const cm = this.ctx.configMaps.get(this.model.metadata.namespace, cmName);
    if (cm?.data?.[key] !== text) {
      try {
        await this.ctx.kube.core.patchNamespacedConfigMap(
          {
            name: cmName,
            namespace: this.model.metadata.namespace,
            fieldManager: `${FIELD_MANAGER}/${this.model.metadata.name}`,
            force: true,
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: {
                name: cmName,
                namespace: this.model.metadata.namespace,
                labels: {
                  [SERVING_LABEL]: 'true',
                  'app.kubernetes.io/name': 'rps-quest',
                  'app.kubernetes.io/component': 'serving-manifest',
                },
              },
              data: { [key]: text },
            },
          },
          serverSideApply(),
        );
      } catch (err) {
        const message = `could not apply key ${key} of ConfigMap ${cmName}: ${apiMessage(err)}`;
        this.condition({ type: 'Served', status: 'False', reason: 'ManifestApplyFailed', message });
        this.deferredError = new Deferred(message);
        return;
      }
      if (this.status.serving?.manifestSha256 !== sha) {
        const versions = ALIASES.filter((a) => manifest.aliases[a]).map(
          (a) => `${a}=${manifest.aliases[a]!.version}`,
        );
        this.event(
          'Normal',
          'ManifestApplied',
          'Serve',
          `wrote ${key} of ConfigMap ${cmName}: ${versions.join(', ')}`,
        );
      }
    }
    if (this.status.serving?.manifestSha256 !== sha) {
      this.status.serving = {
        ...this.status.serving,
        configMap: cmName,
        key,
        manifestSha256: sha,
        appliedAt: this.nowIso,
      };
    }
    let reports;
    try {
      reports = await this.ctx.game(this.model.metadata.namespace).models();
    } catch (err) {
      this.condition({
        type: 'Served',
        status: 'Unknown',
        reason: 'GameServerUnreachable',
        message: (err as Error).message,
      });
      this.requeue(UNREACHABLE_POLL_MS);
      return;
    }
    const served = servedState(
      manifest,
      reports.find((r) => r.model === this.model.metadata.name),
    );
    if (served.served) {
      this.condition({ type: 'Served', status: 'True', reason: 'Served', message: served.message });
    } else {
      this.condition({ type: 'Served', status: 'False', reason: 'ServingPending', message: served.message });
      this.requeue(SERVED_POLL_MS);
    }
  }

  // --- summary ----------------------------------------------------------------------------

  private summary(): void {
    const versions = this.status.versions ?? [];
    const aliases = this.status.aliases ?? {};
    const latest = versions.at(-1)?.name;
    if (latest) this.status.latestVersion = latest;
    const production = versions.find((v) => v.name === aliases.Production);
    if (production?.metrics) this.status.accuracy = Math.round(production.metrics.accuracy * 10_000) / 10_000;
    else delete this.status.accuracy;

    const served = this.status.conditions?.find((c) => c.type === 'Served');
    const training = this.status.conditions?.find((c) => c.type === 'Training');
    if (this.pinsMissing.length) {
      const message = `spec.aliases pins versions that are not registered: ${this.pinsMissing.join(', ')}`;
      this.condition({ type: 'Ready', status: 'False', reason: 'PinnedVersionMissing', message });
      if (!this.model.status?.conditions?.some((c) => c.reason === 'PinnedVersionMissing')) {
        this.event('Warning', 'PinnedVersionMissing', 'UpdateAliases', message);
      }
    } else if (!aliases.Production) {
      const failing = training?.reason === 'TrainingFailed';
      this.condition({
        type: 'Ready',
        status: 'False',
        reason: failing ? 'TrainingFailed' : 'NoVersion',
        message: failing
          ? training!.message
          : `no version yet: ${training?.message ?? 'waiting for training'}`,
      });
    } else if (served?.status === 'True') {
      this.condition({ type: 'Ready', status: 'True', reason: 'Serving', message: served.message });
    } else {
      this.condition({
        type: 'Ready',
        status: 'False',
        reason: served?.reason === 'GameServerUnreachable' ? 'GameServerUnreachable' : 'NotServed',
        message: served?.message ?? 'not served yet',
      });
    }
  }
}

/** Deletion: remove this model's key of the serving ConfigMap and, if asked, its artifacts; then the finalizer. */
async function finalize(ctx: OperatorContext, model: RpsModel): Promise<ReconcileResult> {
  if (!model.metadata.finalizers?.includes(FINALIZER)) return {};
  const log = ctx.log.child({ rpsmodel: objectKey(model.metadata.namespace, model.metadata.name) });
  const problems: string[] = [];
  // a running training Job would upload after the cleanup
  for (const job of modelJobs(ctx, model).filter((j) => jobView(j).state === 'active')) {
    await ctx.kube.custom
      .deleteNamespacedCustomObject({
        group: 'batch',
        version: 'v1',
        namespace: job.metadata.namespace,
        plural: 'jobs',
        name: job.metadata.name,
        propagationPolicy: 'Background',
      })
      .catch((err: unknown) => {
        if (!isNotFound(err)) problems.push(`delete Job ${job.metadata.name}: ${apiMessage(err)}`);
      });
  }
  const cmName = servingConfigMapName(model);
  if (ctx.configMaps.get(model.metadata.namespace, cmName)?.data?.[servingKey(model)] !== undefined) {
    try {
      await ctx.kube.core.patchNamespacedConfigMap(
        {
          name: cmName,
          namespace: model.metadata.namespace,
          fieldManager: `${FIELD_MANAGER}/${model.metadata.name}`,
          force: true,
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: cmName, namespace: model.metadata.namespace },
          },
        },
        serverSideApply(),
      );
    } catch (err) {
      if (!isNotFound(err))
        problems.push(`remove key ${servingKey(model)} of ConfigMap ${cmName}: ${apiMessage(err)}`);
    }
  }
  let deleted = 0;
  if (model.spec.retention?.deleteArtifactsOnDelete) {
    try {
      deleted = await ctx.store.deletePrefix(`${model.metadata.name}/`);
    } catch (err) {
      problems.push(`delete artifacts under ${model.metadata.name}/: ${(err as Error).message}`);
    }
  }
  if (problems.length) {
    const waited = ctx.now().getTime() - new Date(model.metadata.deletionTimestamp!).getTime();
    if (waited < CLEANUP_DEADLINE_MS) {
      await ctx.events.warning(model, 'CleanupFailed', 'Delete', `${problems.join('; ')}; retrying`);
      throw new Deferred(problems.join('; '));
    }
    await ctx.events.warning(
      model,
      'CleanupAbandoned',
      'Delete',
      `gave up after ${Math.round(waited / 1000)} s, removing the finalizer anyway: ${problems.join('; ')}`,
    );
  } else if (deleted > 0) {
    await ctx.events.normal(
      model,
      'ArtifactsDeleted',
      'Delete',
      `deleted ${deleted} objects under ${model.metadata.name}/`,
    );
  }
  try {
    await setFinalizers(
      ctx,
      model,
      (model.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  log.info('finalized');
  return {};
}

/** The RpsModel reconciler: training Jobs, registration, aliases, retention, serving manifest, conditions. */
export async function reconcileRpsModel(ctx: OperatorContext, key: string): Promise<ReconcileResult> {
  const { namespace, name } = splitKey(key);
  let model = ctx.models.get(namespace, name);
  if (!model) {
    ctx.triggerChecks.delete(key);
    return {};
  }
  if (model.metadata.deletionTimestamp) return finalize(ctx, model);
  if (!model.metadata.finalizers?.includes(FINALIZER)) {
    model = await setFinalizers(ctx, model, [...(model.metadata.finalizers ?? []), FINALIZER]);
  }
  return new ModelReconcile(ctx, model).run();
}
