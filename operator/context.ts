import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../lib/artifact-store.ts';
import type { TrainingGrant, TrainingKeys } from '../lib/training-keys.ts';
import type { Job, TrainingJobSettings } from './decisions/training-job.ts';
import type { EventRecorder } from './events.ts';
import type { GameServerClient } from './game-server.ts';
import type { Cache } from './informer.ts';
import type { Kube } from './kube.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { EpisodeTrigger, PromotionPolicy, RpsModel } from './resources.ts';
import type { TriggerObservation } from './decisions/trigger-episode.ts';

/** What the reconcilers share: clients, caches, the clock and ways to enqueue one another's keys. */
export interface OperatorContext {
  kube: Kube;
  store: ArtifactStore;
  /** the game server of a namespace (each namespace's models are served by its own) */
  game: (namespace: string) => GameServerClient;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /** the training Job settings of a namespace (the trainer reads that namespace's game server) */
  jobSettings: (namespace: string) => TrainingJobSettings;
  /** a training Job's own temporary object store keys, from the object store's STS */
  mintTrainingKeys: (grant: TrainingGrant) => Promise<TrainingKeys>;
  models: Cache<RpsModel>;
  policies: Cache<PromotionPolicy>;
  jobs: Cache<Job>;
  configMaps: Cache<V1ConfigMap & { metadata: { name: string; namespace: string } }>;
  now: () => Date;
  /**
   * The last drift / accuracyDrop check per model key. A status write re-queues the model; reusing
   * the check until the poll interval passes keeps such a reconcile from asking the game server
   * again and writing fresh counts, which would queue the next one at once.
   */
  triggerChecks: Map<string, TriggerCheck>;
  enqueueModel: (namespace: string, name: string) => void;
  enqueuePolicy: (namespace: string, name: string) => void;
}

/** One check of a model's episode triggers and what it was made for. */
export interface TriggerCheck {
  /** the object's uid, generation, annotations and Production: any change asks again */
  basis: string;
  /** epoch ms of the check */
  at: number;
  observations: Partial<Record<EpisodeTrigger, TriggerObservation>>;
}
