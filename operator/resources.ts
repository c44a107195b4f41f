import type { Alias, Algorithm, FeatureSetName, InputMethod } from '../core/index.ts';

// The custom resources as the operator reads them. The API server validates them against the CRD
// schemas (crds/*.yaml, the source of truth) and fills the defaults, so these types describe
// what a stored object holds; status fields are optional because older objects may lack them.

export const GROUP = 'rpsquest.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const RPS_MODELS = 'rpsmodels';
export const PROMOTION_POLICIES = 'promotionpolicies';

export const TRAIN_NOW_ANNOTATION = 'rpsquest.dev/train-now';
export const EVALUATE_NOW_ANNOTATION = 'rpsquest.dev/evaluate-now';
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
  /** the features new versions read (the CRD defaults it to rps-features/v2) */
  featureSet?: FeatureSetName;
  /** hyperparameter sets one training run tries (trainer/search.ts) */
  search?: {
    candidates?: Record<string, unknown>[];
    random?: { budget: number; seed?: number; ranges: Record<string, unknown> };
  };
  hyperparameters?: Record<string, unknown>;
  training?: {
    schedule?: string;
    minNewEvents?: number;
    minTotalEvents?: number;
    maxEvents?: number;
    bootstrapGames?: number;
    syntheticStride?: number;
    /** how the moves of the games trained on were entered (unset: all) */
    inputs?: InputMethod[];
    seed?: number;
    suspend?: boolean;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    retryDelaySeconds?: number;
    maxRetryDelaySeconds?: number;
    resources?: ResourceRequirements;
    /** what starts training besides creation, spec changes and train-now (absent: the schedule alone) */
    triggers?: TriggerSpec[];
  };
  retention?: { keepVersions?: number; deleteArtifactsOnDelete?: boolean };
  serving?: { deploymentName?: string };
  aliases?: AliasMap;
}

/**
 * The spec as the API server stores and returns it: the CRD's defaults are filled (`training`
 * and `retention` default to `{}`, so their fields' defaults always apply), and the operator relies
 * on them instead of repeating them.
 */
export interface StoredRpsModelSpec extends RpsModelSpec {
  featureSet: FeatureSetName;
  hyperparameters: Record<string, unknown>;
  training: NonNullable<RpsModelSpec['training']> & {
    minNewEvents: number;
    minTotalEvents: number;
    maxEvents: number;
    bootstrapGames: number;
    syntheticStride: number;
    seed: number;
    suspend: boolean;
    backoffLimit: number;
    activeDeadlineSeconds: number;
    ttlSecondsAfterFinished: number;
  };
  retention: { keepVersions: number; deleteArtifactsOnDelete: boolean };
  serving: { deploymentName: string };
}

/** One entry of spec.training.triggers (the API server fills no defaults: see decisions/). */
export type TriggerSpec =
  | { type: 'schedule' }
  | { type: 'drift'; threshold?: number; maxEvents?: number }
  | { type: 'accuracyDrop'; points?: number; minPredictions?: number; window?: string; maxEvents?: number };

/** Why a training Job runs (RPS_TRIGGER); a retry keeps the trigger of the first attempt. */
export type TrainingTrigger = 'created' | 'specChanged' | 'schedule' | 'trainNow' | 'drift' | 'accuracyDrop';

/** The triggers that watch the served model and fire once per episode. */
export type EpisodeTrigger = 'drift' | 'accuracyDrop';

/**
 * A stretch of time in which a trigger fires for one Production version: it begins when the
 * trigger is first seen firing for that version and ends when it is seen not firing. One training
 * run per episode.
 */
export interface TriggerEpisode {
  production: string;
  since: string;
  /** the version whose training run this episode started */
  trainedBy?: string;
  /** since when the trigger has not fired; the episode ends after a quiet period */
  quietSince?: string;
}

/** The entry gate's verdict on a version (the governing PromotionPolicy's spec.entryGate). */
export interface GateVerdict {
  passed: boolean;
  reason: 'GatePassed' | 'GateBlocked' | 'NoComparison';
  message: string;
  maxAccuracyDeficit: number;
}

/** metadata.evaluation as kept in status: the version and the Production of its time on the same held-out rounds. */
export interface VersionEvaluation {
  rows: number;
  heldOut: string;
  candidate: { version: string; accuracy: number; logLoss: number };
  production: { version: string; accuracy: number; logLoss: number } | null;
  /** candidate accuracy − Production accuracy (a fraction); null without Production */
  accuracyDelta: number | null;
  /** why Production could not be scored (training still succeeded) */
  error?: string;
  /** the entry gate's verdict when the version was registered */
  gate?: GateVerdict;
}

export interface VersionRecord {
  name: string;
  uri: string;
  sha256: string;
  bytes?: number;
  trainedAt: string;
  /** the features the version reads; absent in records of versions before feature sets were recorded (v1) */
  featureSet?: string;
  /** the hyperparameter search that chose it: every candidate's validation log loss, the best one's index */
  search?: {
    best: number;
    candidates: {
      hyperparameters: Record<string, unknown>;
      validationLogLoss: number;
      validationAccuracy: number;
    }[];
  };
  job?: string;
  trigger?: string;
  /** what made the trigger fire (drift score, accuracy drop, data gates) */
  triggerEvidence?: string;
  metrics?: { accuracy: number; logLoss: number; baselineAccuracy: number; rows: number };
  /** the trainer's offline evaluation against the Production of its time, on the same held-out rounds */
  evaluation?: VersionEvaluation;
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
  /** the alias that changed, or the aliases that changed alike, in ALIASES order ("Production, B, Shadow1, Shadow2") */
  alias: string;
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
  /** what made the trigger of the current run fire */
  triggerEvidence?: string;
  lastScheduleTime?: string;
  /** why the last schedule slot did not train (the data gates' counts); cleared when a run starts */
  lastScheduleSkipped?: string;
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
  /** the current episode of each episode trigger (drift, accuracyDrop) */
  triggers?: Partial<Record<EpisodeTrigger, TriggerEpisode>>;
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
  spec: StoredRpsModelSpec;
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
  /** a new version enters B only within this many accuracy points of Production (offline evaluation) */
  entryGate?: { maxAccuracyDeficit: number };
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
  /** GateBlocked: the entry gate keeps it out of B */
  gate?: 'GateBlocked';
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
  /** the last rpsquest.dev/evaluate-now value acted on */
  lastEvaluateNow?: string;
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
