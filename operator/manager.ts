import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ArtifactStore } from '../lib/artifact-store.ts';
import { mintTrainingKeys } from '../lib/training-keys.ts';
import { gameUrlFor, type OperatorConfig } from './config.ts';
import type { OperatorContext } from './context.ts';
import { policySelects } from './decisions/selection.ts';
import { servingConfigMapName } from './decisions/serving.ts';
import { TRAINER_SELECTOR, type Job } from './decisions/training-job.ts';
import { EventRecorder } from './events.ts';
import { endpointSliceReplicas, serviceNamespace, serviceOf } from './game-replicas.ts';
import { GameServerClient } from './game-server.ts';
import { Informer, InformerGroup, type ListResult, type StoredObject } from './informer.ts';
import { apiMessage, makeKube, type Kube } from './kube.ts';
import { LeaderElector } from './leader-election.ts';
import { OperatorMetrics, startMetricsServer } from './metrics.ts';
import { reconcilePromotionPolicy } from './reconcilers/promotion-policy.ts';
import { reconcileRpsModel } from './reconcilers/rps-model.ts';
import { ownImage } from './trainer-image.ts';
import {
  GROUP,
  MODEL_LABEL,
  PROMOTION_POLICIES,
  RPS_MODELS,
  SERVING_LABEL,
  VERSION,
  objectKey,
  type PromotionPolicy,
  type RpsModel,
} from './resources.ts';
import { WorkQueue, type ReconcileOutcome } from './work-queue.ts';

type ConfigMap = V1ConfigMap & { metadata: { name: string; namespace: string } };

export interface ManagerOptions {
  config: OperatorConfig;
  kubeConfig: KubeConfig;
  log: Logger;
  metrics?: OperatorMetrics;
  now?: () => Date;
  /** every object is reconciled again this often, whatever happens (default 10 min) */
  resyncMs?: number;
  /** called when leadership is lost after having been held (main exits so that the Pod restarts clean) */
  onLostLeadership?: () => void;
}

/**
 * Wires the operator together: informers feed two keyed work queues (RpsModel, PromotionPolicy)
 * whose reconcilers share one context; with leader election only the Lease holder runs them.
 */
export class Manager {
  readonly metrics: OperatorMetrics;
  private readonly kube: Kube;
  private readonly log: Logger;
  private ctx: OperatorContext | undefined;
  private modelQueue: WorkQueue | undefined;
  private policyQueue: WorkQueue | undefined;
  private informers: InformerGroup<never>[] = [];
  private elector: LeaderElector | undefined;
  private metricsServer: { port: number; close(): Promise<void> } | undefined;
  private resync: NodeJS.Timeout | undefined;
  private controllersRunning = false;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ManagerOptions) {
    this.metrics = opts.metrics ?? new OperatorMetrics();
    this.kube = makeKube(opts.kubeConfig);
    this.log = opts.log;
  }

  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  get isLeader(): boolean {
    return this.controllersRunning;
  }

  /** Ready: the caches are synced, or this replica stands by for the Lease. */
  get ready(): boolean {
    if (!this.controllersRunning) return this.opts.config.leaderElection && !this.stopped;
    return this.informers.every((i) => i.synced);
  }

  async start(): Promise<void> {
    const { config } = this.opts;
    this.metricsServer = await startMetricsServer(this.metrics, config.metricsPort, () => this.ready);
    this.log.info(
      {
        metricsPort: this.metricsServer.port,
        namespace: config.namespace,
        watchNamespaces: config.watchNamespaces.length ? config.watchNamespaces : 'all',
      },
      'operator starting',
    );
    if (!config.leaderElection) {
      // the only replica: it leads without a Lease
      this.metrics.leader.set(1);
      await this.startControllers();
      return;
    }
    this.elector = new LeaderElector({
      kube: this.kube,
      namespace: config.namespace,
      name: config.leaseName,
      identity: config.identity,
      log: this.log,
      leaseDurationMs: config.lease.durationMs,
      renewDeadlineMs: config.lease.renewDeadlineMs,
      retryPeriodMs: config.lease.retryPeriodMs,
      onStartedLeading: () => {
        this.metrics.leader.set(1);
        this.starting = this.startControllers().catch((err: unknown) => {
          this.log.error({ err: apiMessage(err) }, 'controllers failed to start');
          this.opts.onLostLeadership?.();
        });
      },
      onStoppedLeading: async () => {
        this.metrics.leader.set(0);
        await this.stopControllers();
        if (!this.stopped) this.opts.onLostLeadership?.();
      },
    });
    this.elector.start();
  }

  /** Graceful: finish the reconciles in flight, release the Lease, stop watching. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.stopControllers();
    await this.elector?.stop();
    await this.metricsServer?.close();
    this.log.info('operator stopped');
  }

  private queueOf(kind: 'RpsModel' | 'PromotionPolicy'): WorkQueue {
    return kind === 'RpsModel' ? this.modelQueue! : this.policyQueue!;
  }

  private makeQueue(
    kind: 'RpsModel' | 'PromotionPolicy',
    reconcile: (key: string) => Promise<object>,
  ): WorkQueue {
    const { metrics, log } = this;
    return new WorkQueue({
      name: kind,
      workers: this.opts.config.workers,
      reconcile: (key) => reconcile(key),
      onDepth: (depth) => metrics.queueDepth.set({ kind }, depth),
      onReconciled: (key: string, outcome: ReconcileOutcome, ms: number, err?: unknown) => {
        metrics.reconciles.inc({ kind, result: outcome });
        metrics.reconcileDuration.observe({ kind }, ms / 1000);
        if (err) {
          const message = apiMessage(err);
          const level = /conflict|the object has been modified/i.test(message) ? 'debug' : 'warn';
          log[level](
            { kind, key, err: message, failures: this.queueOf(kind).failuresOf(key) },
            'reconcile failed, retrying with backoff',
          );
        } else log.debug({ kind, key, outcome, ms: Math.round(ms) }, 'reconciled');
      },
    });
  }

  private async startControllers(): Promise<void> {
    if (this.controllersRunning || this.stopped) return;
    this.controllersRunning = true;
    const { config, kubeConfig } = this.opts;
    const kube = this.kube;
    const log = this.log;
    // every namespace (one cluster-wide watch per kind), or one watch per listed namespace
    const scopes: (string | undefined)[] = config.watchNamespaces.length
      ? config.watchNamespaces
      : [undefined];
    const informer = <T extends StoredObject>(
      name: string,
      collection: (ns: string | undefined) => { path: string; list: () => Promise<ListResult<T>> },
      labelSelector?: string,
    ) => {
      const members = scopes.map(
        (ns) =>
          new Informer<T>({
            name: ns ? `${name}/${ns}` : name,
            kubeConfig,
            log,
            ...(labelSelector ? { labelSelector } : {}),
            ...collection(ns),
          }),
      );
      return new InformerGroup<T>(members);
    };
    const custom =
      <T>(group: string, version: string, plural: string, labelSelector?: string) =>
      (ns: string | undefined) => ({
        path: ns
          ? `/apis/${group}/${version}/namespaces/${ns}/${plural}`
          : `/apis/${group}/${version}/${plural}`,
        list: async () =>
          (ns
            ? await kube.custom.listNamespacedCustomObject({
                group,
                version,
                namespace: ns,
                plural,
                ...(labelSelector ? { labelSelector } : {}),
              })
            : await kube.custom.listClusterCustomObject({
                group,
                version,
                plural,
                ...(labelSelector ? { labelSelector } : {}),
              })) as ListResult<T>,
      });
    const models = informer<RpsModel>('rpsmodels', custom(GROUP, VERSION, RPS_MODELS));
    const policies = informer<PromotionPolicy>(
      'promotionpolicies',
      custom(GROUP, VERSION, PROMOTION_POLICIES),
    );
    const jobs = informer<Job>('jobs', custom('batch', 'v1', 'jobs', TRAINER_SELECTOR), TRAINER_SELECTOR);
    const servingSelector = `${SERVING_LABEL}=true`;
    const configMaps = informer<ConfigMap>(
      'configmaps',
      (ns) => ({
        path: ns ? `/api/v1/namespaces/${ns}/configmaps` : '/api/v1/configmaps',
        list: async () =>
          (ns
            ? await kube.core.listNamespacedConfigMap({ namespace: ns, labelSelector: servingSelector })
            : await kube.core.listConfigMapForAllNamespaces({
                labelSelector: servingSelector,
              })) as ListResult<ConfigMap>,
      }),
      servingSelector,
    );
    this.informers = [models, policies, jobs, configMaps] as unknown as InformerGroup<never>[];

    const events = new EventRecorder({
      kube,
      controller: 'rpsquest.dev/operator',
      instance: config.identity,
      log,
      onRecorded: (type, reason) => this.metrics.events.inc({ type, reason }),
    });
    const trainerImage = config.trainerImage ?? (await ownImage(kube, config, log));
    const gameServers = new Map<string, GameServerClient>();
    const ctx: OperatorContext = {
      kube,
      store: new ArtifactStore(config.artifactStore),
      game: (namespace) => {
        let client = gameServers.get(namespace);
        if (!client) {
          const baseUrl = gameUrlFor(config, namespace);
          // several game server replicas: Served means served by every ready one behind the Service
          const gameService = serviceOf(baseUrl);
          client = new GameServerClient({
            baseUrl,
            token: config.internalToken,
            ...(gameService
              ? {
                  replicas: endpointSliceReplicas(
                    kube.kubeConfig,
                    serviceNamespace(baseUrl, namespace),
                    gameService,
                  ),
                }
              : {}),
          });
          gameServers.set(namespace, client);
        }
        return client;
      },
      events,
      metrics: this.metrics,
      log,
      jobSettings: (namespace) => ({
        image: trainerImage,
        dataUrl: gameUrlFor(config, namespace),
        s3Endpoint: config.artifactStore.endpoint,
        s3Bucket: config.artifactStore.bucket,
      }),
      mintTrainingKeys: (grant) =>
        mintTrainingKeys({ endpoint: config.artifactStore.endpoint, ...config.keyMinter }, grant),
      models,
      policies,
      jobs,
      configMaps,
      now: this.opts.now ?? (() => new Date()),
      triggerChecks: new Map(),
      enqueueModel: (namespace, name) => this.modelQueue?.add(objectKey(namespace, name)),
      enqueuePolicy: (namespace, name) => this.policyQueue?.add(objectKey(namespace, name)),
    };
    this.ctx = ctx;
    this.modelQueue = this.makeQueue('RpsModel', (key) => reconcileRpsModel(ctx, key));
    this.policyQueue = this.makeQueue('PromotionPolicy', (key) => reconcilePromotionPolicy(ctx, key));

    const enqueuePoliciesOf = (model: RpsModel) => {
      for (const p of policies.list())
        if (policySelects(p, model)) ctx.enqueuePolicy(p.metadata.namespace, p.metadata.name);
    };
    models.on((_event, model, old) => {
      ctx.enqueueModel(model.metadata.namespace, model.metadata.name);
      enqueuePoliciesOf(model);
      if (old) enqueuePoliciesOf(old);
    });
    policies.on((_event, policy, old) => {
      ctx.enqueuePolicy(policy.metadata.namespace, policy.metadata.name);
      for (const m of models.list()) {
        if (policySelects(policy, m) || (old && policySelects(old, m)))
          ctx.enqueueModel(m.metadata.namespace, m.metadata.name);
      }
    });
    jobs.on((_event, job) => {
      const model = job.metadata.labels?.[MODEL_LABEL];
      if (model) ctx.enqueueModel(job.metadata.namespace, model);
    });
    configMaps.on((_event, cm) => {
      for (const m of models.list()) {
        if (m.metadata.namespace === cm.metadata.namespace && servingConfigMapName(m) === cm.metadata.name) {
          ctx.enqueueModel(m.metadata.namespace, m.metadata.name);
        }
      }
    });

    // caches first, so that the first reconciles see every Job and ConfigMap
    await Promise.all([jobs.start(), configMaps.start(), policies.start()]);
    await models.start();
    if (this.stopped || !this.controllersRunning) return;
    this.modelQueue.start();
    this.policyQueue.start();
    this.resync = setInterval(() => {
      for (const m of models.list()) ctx.enqueueModel(m.metadata.namespace, m.metadata.name);
      for (const p of policies.list()) ctx.enqueuePolicy(p.metadata.namespace, p.metadata.name);
    }, this.opts.resyncMs ?? 600_000);
    log.info({ models: models.list().length, policies: policies.list().length }, 'controllers running');
  }

  private async stopControllers(): Promise<void> {
    if (!this.controllersRunning) return;
    this.controllersRunning = false;
    if (this.resync) clearInterval(this.resync);
    await Promise.all([this.modelQueue?.shutdown(), this.policyQueue?.shutdown()]);
    await Promise.all(this.informers.map((i) => i.stop()));
    this.informers = [];
  }
}
