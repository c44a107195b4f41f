import type { Alias, Algorithm } from '../core/index.ts';

// The custom resources as the operator reads them. The API server validates them against the CRD
// schemas (crds/*.yaml, the source of truth) and fills the defaults, so these types describe
// what a stored object holds; status fields are optional because older objects may lack them.

export const GROUP = 'rpsquest.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const RPS_MODELS = 'rpsmodels';
export const PROMOTION_POLICIES = 'promotionpolicies';

export const TRAIN_NOW_ANNOTATION = 'rpsquest.dev/train-now';
export const FINALIZER = 'rpsquest.dev/cleanup';
export const MODEL_LABEL = 'rpsquest.dev/model';
export const VERSION_LABEL = 'rpsquest.dev/version';
export const SERVING_LABEL = 'rpsquest.dev/serving-manifest';
export const FIELD_MANAGER = 'rps-quest-operator';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export type AliasMap = Partial<Record<Alias, string>>;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface ResourceRequirements {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export interface RpsModelSpec {
  displayName: string;
  algorithm: Algorithm;
  hyperparameters?: Record<string, unknown>;
  training?: {
    schedule?: string;
    minNewEvents?: number;
    minTotalEvents?: number;
    maxEvents?: number;
    bootstrapGames?: number;
    syntheticStride?: number;
    seed?: number;
    suspend?: boolean;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    retryDelaySeconds?: number;
    maxRetryDelaySeconds?: number;
    resources?: ResourceRequirements;
    /** what else starts training besides creation, spec changes, train-now and the schedule */
    triggers?: { type: 'drift'; threshold?: number }[];
  };
  retention?: { keepVersions?: number; deleteArtifactsOnDelete?: boolean };
  serving?: { deploymentName?: string };
  aliases?: AliasMap;
}

/** Why a training Job runs (RPS_TRIGGER); a retry keeps the trigger of the first attempt. */
export type TrainingTrigger = 'created' | 'specChanged' | 'schedule' | 'trainNow' | 'drift';

export interface VersionRecord {
  name: string;
  uri: string;
  sha256: string;
  bytes?: number;
  trainedAt: string;
  job?: string;
  trigger?: string;
  metrics?: { accuracy: number; logLoss: number; baselineAccuracy: number; rows: number };
  /** the trainer's offline evaluation against the Production of its time, on the same held-out rounds */
  evaluation?: {
    rows: number;
    accuracy: number;
    productionVersion?: string;
    productionAccuracy?: number;
    accuracyDelta?: number;
    error?: string;
  };
  dataset?: {
    events: number;
    games: number;
    humanEvents: number;
    syntheticEvents: number;
    lastEventId?: number;
    from?: string;
    to?: string;
    sha256: string;
  };
}

export type AliasReason = 'FirstVersion' | 'NewVersion' | 'Pinned' | 'Promoted' | 'Demoted' | 'Ranked';

export interface AliasHistoryEntry {
  time: string;
  alias: Alias;
  from?: string;
  to: string;
  reason: AliasReason;
  message: string;
}

export interface TrainingStatus {
  version?: string;
  job?: string;
  trigger?: TrainingTrigger;
  specHash?: string;
  attempts?: number;
  lastFailedJobUid?: string;
  lastFailureTime?: string;
  lastFailureMessage?: string;
  nextRetryTime?: string;
  lastTrainNow?: string;
  /** the Production version a drift-triggered run was started for (one run per drift episode) */
  lastDriftProduction?: string;
  lastScheduleTime?: string;
  lastTrainingTime?: string;
  nextScheduleTime?: string;
}

export interface RpsModelStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  latestVersion?: string;
  accuracy?: number;
  aliases?: AliasMap;
  aliasHistory?: AliasHistoryEntry[];
  challenge?: { production?: string; b?: string; since?: string };
  versions?: VersionRecord[];
  training?: TrainingStatus;
  serving?: {
    configMap?: string;
    key?: string;
    manifestSha256?: string;
    appliedAt?: string;
    policy?: string;
  };
  promotion?: { lastAppliedEvaluation?: string; lastAppliedTime?: string };
}

export interface RpsModel {
  apiVersion: string;
  kind: 'RpsModel';
  metadata: ObjectMeta;
  spec: RpsModelSpec;
  status?: RpsModelStatus;
}

export type PolicyMode = 'Automatic' | 'DryRun' | 'Manual';
export type EntryAlias = 'B' | 'Shadow1' | 'Shadow2';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export interface PromotionPolicySpec {
  models?: string[];
  selector?: LabelSelector;
  interval?: string;
  mode?: PolicyMode;
  approve?: string[];
  test?: {
    twoProportionZ?: { alpha?: number; minGames?: number };
    leadAfterGames?: { games?: number };
  };
  includeSyntheticPlayers?: boolean;
  trafficSplit?: { Production?: number; B?: number };
  shadowRanking?: { minPredictions?: number };
  newVersionAlias?: EntryAlias;
}

export type Decision = 'Promote' | 'Keep' | 'InsufficientData' | 'NoChallenger';
export type EvaluationOutcome =
  'Pending' | 'Applied' | 'NoChange' | 'DryRun' | 'AwaitingApproval' | 'Superseded';

export interface Arm {
  version: string;
  games: number;
  wins: number;
  rate: number;
}

export interface RankingEntry {
  version: string;
  predictions: number;
  correct: number;
  accuracy: number;
  ranked: boolean;
}

export interface Evaluation {
  id: string;
  time: string;
  since: string;
  method: 'twoProportionZ' | 'leadAfterGames';
  mode: PolicyMode;
  production?: Arm;
  b?: Arm;
  z?: number;
  pValue?: number;
  alpha?: number;
  minGames: number;
  decision: Decision;
  reason: string;
  outcome: EvaluationOutcome;
  aliases: AliasMap;
  target: AliasMap;
  ranking: RankingEntry[];
}

export interface PolicyModelStatus {
  model: string;
  nextEvaluationTime?: string;
  lastEvaluation?: Evaluation;
  history?: Evaluation[];
}

export interface PromotionPolicyStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  selectedModels?: string;
  lastDecision?: string;
  lastEvaluationTime?: string;
  models?: PolicyModelStatus[];
}

export interface PromotionPolicy {
  apiVersion: string;
  kind: 'PromotionPolicy';
  metadata: ObjectMeta;
  spec: PromotionPolicySpec;
  status?: PromotionPolicyStatus;
}

/** The cache / work queue key of a namespaced object. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
