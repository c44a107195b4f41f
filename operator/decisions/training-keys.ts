import type { TrainingGrant, TrainingKeys } from '../../lib/training-keys.ts';
import { MODEL_LABEL, VERSION_LABEL } from '../resources.ts';
import { KEYS_SECRET_ANNOTATION, TRAINER_LABELS, type Job } from './training-job.ts';

/**
 * How long a Job's keys outlive its deadline: the time between minting them and resuming the Job,
 * and clock skew between the operator and MinIO.
 */
export const KEY_MARGIN_SECONDS = 600;

/** When the Job's keys expire (on the Secret, for people). */
export const KEYS_EXPIRE_ANNOTATION = 'rpsquest.dev/expires-at';

/**
 * The Secret of a Job's keys: `<job>-s3-<nonce>`, the nonce drawn when the Job is made, so that a
 * re-created Job of the same name never meets its predecessor's Secret (which the garbage
 * collector may not have removed yet).
 */
export function keysSecretName(jobName: string, nonce: string): string {
  return `${jobName}-s3-${nonce}`;
}

/**
 * Set on a Job in the same patch that resumes it: the operator has given it its keys. A Job that has
 * it and is suspended again was suspended by someone else, and stays so.
 */
export const KEYS_PROVIDED_ANNOTATION = 'rpsquest.dev/keys-provided';

/**
 * The Job's keys still to be provided: a suspended Job of the operator that names its Secret and
 * was never resumed by the operator.
 */
export function awaitingKeys(job: Job): string | undefined {
  const suspended = (job.spec as { suspend?: boolean }).suspend === true;
  const finished = job.status?.conditions?.some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  if (!suspended || finished || job.metadata.deletionTimestamp) return undefined;
  if (job.metadata.annotations?.[KEYS_PROVIDED_ANNOTATION]) return undefined;
  return job.metadata.annotations?.[KEYS_SECRET_ANNOTATION];
}

/** What a Job's keys may do (its model's version), for its deadline and the margin. */
export function grantFor(job: Job, bucket: string): TrainingGrant {
  const deadline = (job.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds ?? 3600;
  return {
    bucket,
    model: job.metadata.labels?.[MODEL_LABEL] ?? '',
    version: job.metadata.labels?.[VERSION_LABEL] ?? '',
    lifetimeSeconds: deadline + KEY_MARGIN_SECONDS,
  };
}

/** The Secret that hands the keys to the Job's pods; owned by the Job, it goes when the Job goes. */
export function keysSecret(job: Job, name: string, keys: TrainingKeys) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace: job.metadata.namespace,
      labels: {
        ...TRAINER_LABELS,
        [MODEL_LABEL]: job.metadata.labels?.[MODEL_LABEL] ?? '',
        [VERSION_LABEL]: job.metadata.labels?.[VERSION_LABEL] ?? '',
        'app.kubernetes.io/managed-by': 'rps-quest-operator',
      },
      annotations: { [KEYS_EXPIRE_ANNOTATION]: keys.expiresAt },
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid ?? '' },
      ],
    },
    stringData: { accessKey: keys.accessKey, secretKey: keys.secretKey, sessionToken: keys.sessionToken },
  };
}
