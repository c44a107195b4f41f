import type { ArtifactMetadata } from '../../core/index.ts';
import type { TrainingStatus, VersionRecord } from '../resources.ts';
import { accuracyText } from './accuracy-format.ts';
import { versionEvaluation } from './entry-gate.ts';

/** The status.versions entry of a version, from the metadata its trainer uploaded. */
export function versionRecord(
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

/**
 * status.training once a version is registered: the run's fields are cleared, what later runs
 * are decided from (the spec hash, the last train-now and schedule slot) stays.
 */
export function trainingAfterRegistration(training: TrainingStatus | undefined, now: string): TrainingStatus {
  return {
    ...(training?.specHash ? { specHash: training.specHash } : {}),
    ...(training?.lastTrainNow ? { lastTrainNow: training.lastTrainNow } : {}),
    ...(training?.lastScheduleTime ? { lastScheduleTime: training.lastScheduleTime } : {}),
    lastTrainingTime: now,
    attempts: 0,
  };
}

/** The VersionRegistered Event note (also the Training condition's message). */
export function registeredNote(record: VersionRecord): string {
  const acc = accuracyText(record.metrics!.accuracy);
  return `registered ${record.name} (accuracy ${acc} on ${record.metrics!.rows} held-out rounds, ${record.dataset!.events} rounds trained on, sha256 ${record.sha256.slice(0, 12)}…)`;
}
