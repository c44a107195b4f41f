import { setCondition, type ConditionInput } from '../../decisions/conditions.ts';
import {
  DEFAULT_ENTRY_ALIAS,
  DEFAULT_TRAFFIC_SPLIT,
  policySettings,
  type PolicySettings,
} from '../../decisions/promotion.ts';
import { governingPolicy } from '../../decisions/selection.ts';
import { DEFAULT_TRIGGER_POLL_MS } from '../../decisions/trigger-episode.ts';
import type { OperatorContext } from '../../context.ts';
import type { EventType } from '../../events.ts';
import { objectKey, type PromotionPolicy, type RpsModel, type RpsModelStatus } from '../../resources.ts';

/** What one step of the reconcile asks of the reconciler; the reconciler folds the steps' results. */
export interface StepResult {
  /** reconcile again after this long at the latest (the earliest of all steps wins) */
  requeueAfterMs?: number;
  /**
   * A failure the work queue retries with its backoff. The later steps still run and status is
   * written first, so that the condition saying what failed is seen; the first step's error is returned.
   */
  error?: Error;
  /** the later steps do not run: this step wrote status itself before its side effect (a Job started) */
  done?: boolean;
}

export type Step = (state: ModelState) => Promise<StepResult>;

/** An error the reconcile reports so that the queue retries it; its message says what is awaited. */
export class Deferred extends Error {}

/** The earliest requeue and the first error of two results. */
export function combine(a: StepResult, b: StepResult): StepResult {
  const after = [a.requeueAfterMs, b.requeueAfterMs].filter((ms): ms is number => ms !== undefined);
  const error = a.error ?? b.error;
  return {
    ...(after.length ? { requeueAfterMs: Math.min(...after) } : {}),
    ...(error ? { error } : {}),
    ...(a.done || b.done ? { done: true } : {}),
  };
}

interface PendingEvent {
  type: EventType;
  reason: string;
  action: string;
  note: string;
}

/** The settings a model takes from its governing PromotionPolicy (the defaults without one). */
export type ModelSettings = Pick<
  PolicySettings,
  'trafficSplit' | 'newVersionAlias' | 'entryGate' | 'intervalMs'
>;

/**
 * The state of one reconcile of one RpsModel: the object as read, the status the steps compute
 * (written once at the end, or by the step that must write it before a side effect), and the
 * Events recorded after that write.
 */
export class ModelState {
  /** the status being computed, from the status as read */
  readonly status: RpsModelStatus;
  readonly now: Date;
  readonly nowIso: string;
  readonly generation: number;
  readonly policy: PromotionPolicy | undefined;
  readonly events: PendingEvent[] = [];

  constructor(
    readonly ctx: OperatorContext,
    /** the object as last read or written (a status write replaces it with the server's answer) */
    public model: RpsModel,
  ) {
    this.status = structuredClone(model.status ?? {});
    this.now = ctx.now();
    this.nowIso = this.now.toISOString();
    this.generation = model.metadata.generation;
    this.policy = governingPolicy(model, ctx.policies.list()).policy;
    this.status.serving = { ...this.status.serving, policy: this.policy?.metadata.name };
    if (!this.policy) delete this.status.serving.policy;
  }

  get name(): string {
    return this.model.metadata.name;
  }

  get namespace(): string {
    return this.model.metadata.namespace;
  }

  get log() {
    return this.ctx.log.child({ rpsmodel: objectKey(this.namespace, this.name) });
  }

  get settings(): ModelSettings {
    return this.policy
      ? policySettings(this.policy.spec)
      : {
          trafficSplit: { ...DEFAULT_TRAFFIC_SPLIT },
          newVersionAlias: DEFAULT_ENTRY_ALIAS,
          entryGate: null,
          intervalMs: DEFAULT_TRIGGER_POLL_MS,
        };
  }

  /** The model with the status computed so far (what the decisions read). */
  current(): RpsModel {
    return { ...this.model, status: this.status };
  }

  condition(input: ConditionInput): void {
    this.status.conditions = setCondition(this.status.conditions, input, this.generation, this.nowIso);
  }

  /** An Event recorded once status is written. */
  event(type: EventType, reason: string, action: string, note: string): void {
    this.events.push({ type, reason, action, note });
  }
}
