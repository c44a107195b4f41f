import { FailedSummarySchema, validate } from '../../core/index.ts';
import { MODEL_LABEL, VERSION_LABEL, type RpsModel, type TrainingTrigger } from '../resources.ts';
import { trainJobName, type JobView } from './training.ts';

export const TRAINER_LABELS = {
  'app.kubernetes.io/name': 'rps-quest',
  'app.kubernetes.io/component': 'trainer',
} as const;
export const TRAINER_SELECTOR = 'app.kubernetes.io/name=rps-quest,app.kubernetes.io/component=trainer';
export const INTERNAL_SECRET = 'rps-quest-internal';
/** On a training Job: the name of the Secret that holds its own object store keys. */
export const KEYS_SECRET_ANNOTATION = 'rpsquest.dev/s3-secret';

/**
 * The trainer container's resources when the RpsModel's `training.resources` sets none: a request
 * the scheduler can place on a small node and a memory limit above what training on the default
 * 200,000 rounds needs (docs/performance.md).
 */
export const DEFAULT_TRAINER_RESOURCES = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { memory: '2Gi' },
} as const;

/** Pod Security `restricted`: the pod runs as the image's unprivileged user, with RuntimeDefault seccomp. */
export const TRAINER_POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** Pod Security `restricted` for the container: no privilege escalation, no capabilities. */
export const TRAINER_CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
} as const;

/** A Job as stored (the fields the operator reads). */
export interface Job {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    deletionTimestamp?: string;
  };
  spec: Record<string, unknown>;
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
  };
}

export interface TrainingJobSettings {
  image: string;
  /** the game server's base URL: the trainer reads ${dataUrl}/api/v1/export/events */
  dataUrl: string;
  s3Endpoint: string;
  s3Bucket: string;
}

/** RPS_COMPARE_VERSION / RPS_COMPARE_URI: the current Production version, when there is one. */
export function compareWith(model: RpsModel): { name: string; value: string }[] {
  const production = model.status?.aliases?.Production;
  const record = model.status?.versions?.find((v) => v.name === production);
  if (!production || !record) return [];
  return [
    { name: 'RPS_COMPARE_VERSION', value: production },
    { name: 'RPS_COMPARE_URI', value: record.uri },
  ];
}

/**
 * The most recent rounds the run reads: a drift or accuracyDrop run may read fewer than
 * training.maxEvents (the trigger's own maxEvents), so that it learns the players who changed.
 */
export function maxEventsFor(model: RpsModel, trigger: TrainingTrigger): number {
  const training = model.spec.training;
  const fired = training.triggers?.find((t) => t.type === trigger);
  const own = fired && fired.type !== 'schedule' ? fired.maxEvents : undefined;
  return own ?? training.maxEvents;
}

/**
 * The Job of the trainer contract for one version of a model. It is created suspended: no pod
 * starts before the operator has written the Job's keys into `keysSecret` (owned by the Job) and
 * resumed it.
 */
export function trainingJob(
  model: RpsModel,
  version: string,
  trigger: TrainingTrigger,
  settings: TrainingJobSettings,
  keysSecret: string,
): Job {
  const name = trainJobName(model.metadata.name, version);
  const training = model.spec.training;
  const labels = { ...TRAINER_LABELS, [MODEL_LABEL]: model.metadata.name, [VERSION_LABEL]: version };
  const env = [
    { name: 'RPS_MODEL', value: model.metadata.name },
    { name: 'RPS_VERSION', value: version },
    { name: 'RPS_ALGORITHM', value: model.spec.algorithm },
    { name: 'RPS_FEATURE_SET', value: model.spec.featureSet },
    ...(model.spec.search ? [{ name: 'RPS_SEARCH', value: JSON.stringify(model.spec.search) }] : []),
    { name: 'RPS_HYPERPARAMETERS', value: JSON.stringify(model.spec.hyperparameters) },
    { name: 'RPS_DATA_URL', value: settings.dataUrl },
    { name: 'RPS_DATA_TOKEN', valueFrom: { secretKeyRef: { name: INTERNAL_SECRET, key: 'token' } } },
    { name: 'RPS_SEED', value: String(training.seed) },
    { name: 'RPS_MAX_EVENTS', value: String(maxEventsFor(model, trigger)) },
    { name: 'RPS_MIN_TOTAL_EVENTS', value: String(training.minTotalEvents) },
    { name: 'RPS_SYNTHETIC_STRIDE', value: String(training.syntheticStride) },
    ...(training.inputs ? [{ name: 'RPS_INPUTS', value: training.inputs.join(',') }] : []),
    { name: 'RPS_BOOTSTRAP_GAMES', value: String(training.bootstrapGames) },
    { name: 'RPS_TRIGGER', value: trigger },
    // the offline evaluation: the trainer scores the current Production on the same held-out rounds
    ...compareWith(model),
    { name: 'S3_ENDPOINT', value: settings.s3Endpoint },
    { name: 'S3_BUCKET', value: settings.s3Bucket },
    { name: 'S3_ACCESS_KEY', valueFrom: { secretKeyRef: { name: keysSecret, key: 'accessKey' } } },
    { name: 'S3_SECRET_KEY', valueFrom: { secretKeyRef: { name: keysSecret, key: 'secretKey' } } },
    { name: 'S3_SESSION_TOKEN', valueFrom: { secretKeyRef: { name: keysSecret, key: 'sessionToken' } } },
  ];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: model.metadata.namespace,
      labels: { ...labels, 'app.kubernetes.io/managed-by': 'rps-quest-operator' },
      annotations: { 'rpsquest.dev/trigger': trigger, [KEYS_SECRET_ANNOTATION]: keysSecret },
      ownerReferences: [
        {
          apiVersion: model.apiVersion,
          kind: 'RpsModel',
          name: model.metadata.name,
          uid: model.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        } as NonNullable<Job['metadata']['ownerReferences']>[number],
      ],
    },
    spec: {
      suspend: true,
      backoffLimit: training.backoffLimit,
      activeDeadlineSeconds: training.activeDeadlineSeconds,
      ttlSecondsAfterFinished: training.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // the trainer calls no Kubernetes API: no token in the pod
          automountServiceAccountToken: false,
          securityContext: TRAINER_POD_SECURITY,
          containers: [
            {
              name: 'trainer',
              image: settings.image,
              command: ['rpsq', 'train'],
              env,
              resources: training.resources ?? DEFAULT_TRAINER_RESOURCES,
              securityContext: TRAINER_CONTAINER_SECURITY,
              terminationMessagePolicy: 'FallbackToLogsOnError',
              // the root filesystem is read-only: temporary files go to an emptyDir
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }],
        },
      },
    },
  };
}

/** How the training state machine sees a Job. */
export function jobView(job: Job): JobView {
  const cond = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const complete = cond('Complete');
  const failed = cond('Failed');
  const version = job.metadata.labels?.[VERSION_LABEL];
  return {
    name: job.metadata.name,
    uid: job.metadata.uid ?? '',
    ...(version ? { version } : {}),
    state: complete ? 'succeeded' : failed ? 'failed' : 'active',
    ...(complete?.lastTransitionTime || failed?.lastTransitionTime
      ? { finishedAt: (complete ?? failed)!.lastTransitionTime! }
      : {}),
  };
}

/** The trainer's termination message (core's FailedSummary on failure) as a readable line. */
export function failureMessage(
  terminationMessage: string | undefined,
  exitCode: number | undefined,
  jobMessage?: string,
): string {
  const parts: string[] = [];
  const text = terminationMessage?.trim();
  if (text) {
    let shown = text;
    try {
      const summary = validate(FailedSummarySchema, JSON.parse(text));
      if (summary.ok) shown = summary.value.error;
    } catch {
      // a plain-text message
    }
    parts.push(shown);
  }
  if (exitCode !== undefined) {
    parts.push(
      exitCode === 2 ? 'exit code 2: invalid hyperparameters or configuration' : `exit code ${exitCode}`,
    );
  }
  if (!parts.length && jobMessage) parts.push(jobMessage);
  return parts.join(' (') + (parts.length > 1 ? ')' : '') || 'the training Job failed without a message';
}
