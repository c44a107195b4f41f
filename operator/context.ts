import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../lib/artifact-store.ts';
import type { Job, TrainingJobSettings } from './decisions/training-job.ts';
import type { EventRecorder } from './events.ts';
import type { GameServerClient } from './game-server.ts';
import type { Informer } from './informer.ts';
import type { Kube } from './kube.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { PromotionPolicy, RpsModel } from './resources.ts';

/** What the reconcilers share: clients, caches, the clock and ways to enqueue one another's keys. */
export interface OperatorContext {
  kube: Kube;
  store: ArtifactStore;
  game: GameServerClient;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  jobSettings: TrainingJobSettings;
  models: Informer<RpsModel>;
  policies: Informer<PromotionPolicy>;
  jobs: Informer<Job>;
  configMaps: Informer<V1ConfigMap & { metadata: { name: string; namespace: string } }>;
  now: () => Date;
  enqueueModel: (namespace: string, name: string) => void;
  enqueuePolicy: (namespace: string, name: string) => void;
}
