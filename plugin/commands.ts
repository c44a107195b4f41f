import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { ALIASES, type Alias } from '../core/index.ts';
import { TRAINER_SELECTOR } from '../operator/decisions/training-job.ts';
import { trainJobName } from '../operator/decisions/training.ts';
import {
  EVALUATE_NOW_ANNOTATION,
  MODEL_LABEL,
  PROMOTION_POLICIES,
  RPS_MODELS,
  TRAIN_NOW_ANNOTATION,
  type PromotionPolicy,
} from '../operator/resources.ts';
import type { Cluster } from './cluster.ts';
import { ConflictError, PluginError, UsageError } from './plugin-error.ts';
import { historyText, statusTable } from './views.ts';

export interface CommandContext {
  cluster: Cluster;
  args: string[];
  wait: boolean;
  timeoutMs: number;
  out: (line: string) => void;
  /** poll period of the waits (ms) */
  pollMs?: number;
}

function operands(ctx: CommandContext, names: string[], optional: string[] = []): string[] {
  const { args } = ctx;
  if (args.length < names.length || args.length > names.length + optional.length) {
    const shape = [...names.map((n) => `<${n}>`), ...optional.map((n) => `[${n}]`)].join(' ');
    throw new UsageError(
      `expected ${shape}, got ${args.length ? args.map((a) => `"${a}"`).join(' ') : 'nothing'}`,
    );
  }
  return args;
}

/** A value no earlier request used, so the status field that echoes it identifies this request. */
const requestValue = () => `${new Date().toISOString()}-${randomBytes(3).toString('hex')}`;

/** Polls `check` until it returns a value; fails after the timeout with what was awaited. */
async function waitFor<T>(
  ctx: CommandContext,
  what: string,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new PluginError(`timed out after ${ctx.timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, ctx.pollMs ?? 500));
  }
}

/** How many times a read-decide-write runs before a conflict is reported. */
export const CONFLICT_ATTEMPTS = 5;

/**
 * Runs `attempt` (read the object, check, patch with the read's resourceVersion) again when the
 * patch meets a change made since the read, as client-go's RetryOnConflict does: the operator
 * writes status often, and each write moves the resourceVersion. Every retry decides on a new read,
 * so nothing made meanwhile is overwritten.
 */
async function onConflictRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConflictError) || n >= CONFLICT_ATTEMPTS) throw err;
    }
  }
}

async function status(ctx: CommandContext): Promise<void> {
  operands(ctx, []);
  const { cluster } = ctx;
  const [models, policies] = await Promise.all([cluster.listModels(), cluster.listPolicies()]);
  if (!models.length && !policies.length) {
    ctx.out(
      `no RpsModels or PromotionPolicies in ${cluster.allNamespaces ? 'any namespace' : `namespace ${cluster.namespace}`}`,
    );
    return;
  }
  ctx.out(statusTable(models, policies, { namespaceColumn: cluster.allNamespaces }));
}

async function train(ctx: CommandContext): Promise<void> {
  const [name] = operands(ctx, ['model']);
  const model = await ctx.cluster.getModel(name!);
  if (model.spec.training?.suspend) {
    throw new PluginError(
      `rpsmodel/${name} has spec.training.suspend: true, so no training starts; set it to false first`,
    );
  }
  const value = requestValue();
  await ctx.cluster.patch(
    RPS_MODELS,
    name!,
    { metadata: { annotations: { [TRAIN_NOW_ANNOTATION]: value } } },
    `annotate RpsModel ${name}`,
  );
  ctx.out(`rpsmodel/${name}: training requested (${TRAIN_NOW_ANNOTATION}=${value})`);
  if (!ctx.wait) return;
  // the operator records the value it acted on in the status write that allocates the version
  const version = await waitFor(ctx, `the operator to start training for ${value}`, async () => {
    const m = await ctx.cluster.getModel(name!);
    return m.status?.training?.lastTrainNow === value ? m.status.training.version : undefined;
  });
  ctx.out(`rpsmodel/${name}: training ${version} in Job ${trainJobName(name!, version!)}`);
  const done = await waitFor(ctx, `${version} to be registered`, async () => {
    const m = await ctx.cluster.getModel(name!);
    const t = m.status?.training;
    if (m.status?.versions?.some((v) => v.name === version)) return m;
    if (t?.version === version && (t.attempts ?? 0) > 0) {
      throw new PluginError(
        `rpsmodel/${name}: training ${version} failed: ${t.lastFailureMessage ?? 'no message'} (the operator retries at ${t.nextRetryTime ?? 'a later time'})`,
      );
    }
    return undefined;
  });
  const record = done.status!.versions!.find((v) => v.name === version)!;
  const aliases = ALIASES.filter((a) => done.status?.aliases?.[a])
    .map((a) => `${a}=${done.status!.aliases![a]}`)
    .join(' ');
  const acc = record.metrics ? `, held-out accuracy ${record.metrics.accuracy.toFixed(3)}` : '';
  ctx.out(`rpsmodel/${name}: ${version} registered${acc}; aliases ${aliases}`);
}

/** The evaluation of `model` that waits for approval, with the policy that made it. */
async function awaitingApproval(ctx: CommandContext, name: string) {
  await ctx.cluster.getModel(name);
  const seen: string[] = [];
  for (const policy of await ctx.cluster.listPolicies()) {
    const ev = policy.status?.models?.find((m) => m.model === name)?.lastEvaluation;
    if (!ev) continue;
    if (ev.outcome === 'AwaitingApproval') return { policy, ev };
    seen.push(
      `promotionpolicy/${policy.metadata.name} last decided ${ev.decision} (${ev.outcome}, evaluation ${ev.id})`,
    );
  }
  throw new PluginError(
    `no evaluation of ${name} awaits approval: ${seen.length ? seen.join('; ') : 'no PromotionPolicy has evaluated it'} (only a Manual policy's promotion waits for approval)`,
  );
}

async function approve(ctx: CommandContext): Promise<void> {
  const [name] = operands(ctx, ['model']);
  const line = await onConflictRetry(async () => {
    const { policy, ev } = await awaitingApproval(ctx, name!);
    const approveList = [...(policy.spec.approve ?? []), ev.id];
    await ctx.cluster.patch<PromotionPolicy>(
      PROMOTION_POLICIES,
      policy.metadata.name,
      { metadata: { resourceVersion: policy.metadata.resourceVersion }, spec: { approve: approveList } },
      `approve evaluation ${ev.id} in PromotionPolicy ${policy.metadata.name}`,
    );
    return `promotionpolicy/${policy.metadata.name}: approved evaluation ${ev.id}: ${name}'s B ${ev.target.Production} becomes Production (was ${ev.aliases.Production})`;
  });
  ctx.out(line);
}

async function reject(ctx: CommandContext): Promise<void> {
  const [name] = operands(ctx, ['model']);
  const line = await onConflictRetry(async () => {
    const model = await ctx.cluster.getModel(name!);
    const { Production: production, B: b } = model.status?.aliases ?? {};
    if (!production || !b || b === production) {
      throw new PluginError(
        `rpsmodel/${name} has no challenger to reject: B serves ${b ?? 'nothing'}, Production ${production ?? 'nothing'}`,
      );
    }
    await ctx.cluster.patch(
      RPS_MODELS,
      name!,
      { metadata: { resourceVersion: model.metadata.resourceVersion }, spec: { aliases: { B: production } } },
      `pin B of RpsModel ${name}`,
    );
    return `rpsmodel/${name}: B pinned to Production's ${production}: ${b} gets no more games and cannot be promoted; \`kubectl rpsq unpin ${name} B\` lets the ranking choose a challenger again`;
  });
  ctx.out(line);
}

function parseAlias(text: string): Alias {
  const alias = ALIASES.find((a) => a.toLowerCase() === text.toLowerCase());
  if (!alias) throw new PluginError(`"${text}" is not an alias: use one of ${ALIASES.join(', ')}`);
  return alias;
}

async function pin(ctx: CommandContext): Promise<void> {
  const [name, aliasText, requested] = operands(ctx, ['model', 'alias'], ['version']);
  const alias = parseAlias(aliasText!);
  const line = await onConflictRetry(async () => {
    const model = await ctx.cluster.getModel(name!);
    const registered = (model.status?.versions ?? []).map((v) => v.name);
    const current = model.status?.aliases?.[alias];
    const version = requested ?? current;
    if (!version)
      throw new PluginError(`rpsmodel/${name}: ${alias} serves no version yet; name the version to pin`);
    if (!registered.includes(version)) {
      throw new PluginError(
        `rpsmodel/${name} has no version "${version}" (registered: ${registered.join(', ') || 'none'})`,
      );
    }
    await ctx.cluster.patch(
      RPS_MODELS,
      name!,
      {
        metadata: { resourceVersion: model.metadata.resourceVersion },
        spec: { aliases: { [alias]: version } },
      },
      `pin ${alias} of RpsModel ${name}`,
    );
    return `rpsmodel/${name}: ${alias} pinned to ${version}${current && current !== version ? ` (was ${current})` : ''}`;
  });
  ctx.out(line);
}

async function unpin(ctx: CommandContext): Promise<void> {
  const [name, aliasText] = operands(ctx, ['model', 'alias']);
  const alias = parseAlias(aliasText!);
  const line = await onConflictRetry(async () => {
    const model = await ctx.cluster.getModel(name!);
    const pins = Object.entries(model.spec.aliases ?? {}).filter(([, v]) => v);
    const pinned = model.spec.aliases?.[alias];
    if (!pinned) {
      throw new PluginError(
        `rpsmodel/${name} has no pin on ${alias} (pins: ${pins.map(([a, v]) => `${a}=${v}`).join(', ') || 'none'})`,
      );
    }
    await ctx.cluster.patch(
      RPS_MODELS,
      name!,
      { metadata: { resourceVersion: model.metadata.resourceVersion }, spec: { aliases: { [alias]: null } } },
      `unpin ${alias} of RpsModel ${name}`,
    );
    return `rpsmodel/${name}: ${alias} unpinned (was pinned to ${pinned}); training and promotion move it again`;
  });
  ctx.out(line);
}

async function evaluateNow(ctx: CommandContext): Promise<void> {
  const [name] = operands(ctx, ['policy']);
  await ctx.cluster.getPolicy(name!);
  const value = requestValue();
  await ctx.cluster.patch(
    PROMOTION_POLICIES,
    name!,
    { metadata: { annotations: { [EVALUATE_NOW_ANNOTATION]: value } } },
    `annotate PromotionPolicy ${name}`,
  );
  ctx.out(`promotionpolicy/${name}: evaluation requested (${EVALUATE_NOW_ANNOTATION}=${value})`);
  const policy = await waitFor(ctx, `the operator to evaluate for ${value}`, async () => {
    const p = await ctx.cluster.getPolicy(name!);
    return p.status?.lastEvaluateNow === value ? p : undefined;
  });
  for (const m of policy.status?.models ?? []) {
    const ev = m.lastEvaluation;
    if (ev) ctx.out(`${m.model}: ${ev.decision} (${ev.outcome}) — ${ev.reason} [evaluation ${ev.id}]`);
  }
  const ready = policy.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True')
    throw new PluginError(`promotionpolicy/${name} is not Ready: ${ready.reason}: ${ready.message}`);
}

async function history(ctx: CommandContext): Promise<void> {
  const [name] = operands(ctx, ['model']);
  ctx.out(historyText(await ctx.cluster.getModel(name!)));
}

const newestFirst = (
  a: { metadata?: { creationTimestamp?: unknown } },
  b: { metadata?: { creationTimestamp?: unknown } },
) =>
  new Date(String(b.metadata?.creationTimestamp ?? 0)).getTime() -
  new Date(String(a.metadata?.creationTimestamp ?? 0)).getTime();

async function logs(ctx: CommandContext): Promise<void> {
  const [name] = operands(ctx, ['model']);
  const model = await ctx.cluster.getModel(name!);
  const { cluster } = ctx;
  const jobs = (
    await cluster.call(`list the Jobs of ${name}`, () =>
      cluster.kube.batch.listNamespacedJob({
        namespace: cluster.namespace,
        labelSelector: `${TRAINER_SELECTOR},${MODEL_LABEL}=${name}`,
      }),
    )
  ).items.sort(newestFirst);
  const job = jobs[0];
  if (!job) {
    const last = model.status?.training?.job;
    throw new PluginError(
      `rpsmodel/${name} has no training Job${last ? ` (the last, ${last}, was deleted ttlSecondsAfterFinished after it finished)` : ''}`,
    );
  }
  const jobName = job.metadata!.name!;
  const pods = (
    await cluster.call(`list the pods of Job ${jobName}`, () =>
      cluster.kube.core.listNamespacedPod({
        namespace: cluster.namespace,
        labelSelector: `job-name=${jobName}`,
      }),
    )
  ).items.sort(newestFirst);
  const pod: V1Pod | undefined = pods[0];
  if (!pod) throw new PluginError(`Job ${jobName} has no pod (yet)`);
  const text = await cluster.call(`read the log of pod ${pod.metadata!.name}`, () =>
    cluster.kube.core.readNamespacedPodLog({ namespace: cluster.namespace, name: pod.metadata!.name! }),
  );
  ctx.out(`# Job ${jobName}, pod ${pod.metadata!.name} (${pod.status?.phase ?? 'unknown phase'})`);
  ctx.out(text.replace(/\n$/, ''));
}

/** The commands that list, and so take -A / --all-namespaces. */
export const LIST_COMMANDS: ReadonlySet<string> = new Set(['status']);

export const COMMANDS: Record<string, (ctx: CommandContext) => Promise<void>> = {
  status,
  train,
  approve,
  reject,
  pin,
  unpin,
  evaluate: evaluateNow,
  history,
  logs,
};
