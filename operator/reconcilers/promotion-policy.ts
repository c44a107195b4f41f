import { isDeepStrictEqual } from 'node:util';
import { appendHistory, normalizeAliases } from '../decisions/aliases.ts';
import { setCondition } from '../decisions/conditions.ts';
import {
  decisionSummary,
  evaluate,
  evaluationNews,
  evaluationOutcome,
  evaluationStale,
  policySettings,
  EVALUATION_HISTORY_LIMIT,
  type PolicySettings,
} from '../decisions/promotion.ts';
import { evaluateNowRequest } from '../decisions/evaluate-now.ts';
import { governingPolicy, policySelects } from '../decisions/selection.ts';
import { statusJson } from '../decisions/status-json.ts';
import type { OperatorContext } from '../context.ts';
import type { EventType } from '../events.ts';
import type { GameServerClient } from '../game-server.ts';
import { replaceStatus } from '../status-write.ts';
import {
  PROMOTION_POLICIES,
  splitKey,
  type Evaluation,
  type PolicyModelStatus,
  type PromotionPolicyStatus,
  type RpsModel,
} from '../resources.ts';
import type { ReconcileResult } from '../work-queue.ts';

const MAX_MODELS = 50;
const UNREACHABLE_RETRY_MS = 30_000;

/** The Event reason of an evaluation: what happened, in the policy's mode. */
export function evaluationEventReason(ev: Evaluation): string {
  if (ev.decision !== 'Promote') return ev.decision === 'Keep' ? 'PromotionKept' : ev.decision;
  if (ev.outcome === 'DryRun') return 'PromotionDryRun';
  if (ev.outcome === 'AwaitingApproval') return 'PromotionAwaitingApproval';
  return 'PromotionDecided';
}

function withOutcome(entry: PolicyModelStatus, settings: PolicySettings, model: RpsModel): PolicyModelStatus {
  const last = entry.lastEvaluation;
  if (!last) return entry;
  const outcome = evaluationOutcome(
    last,
    settings.mode,
    settings.approve,
    normalizeAliases(model.status?.aliases),
  );
  if (outcome === last.outcome) return entry;
  const updated = { ...last, outcome };
  return {
    ...entry,
    lastEvaluation: updated,
    history: (entry.history ?? []).map((h) => (h.id === last.id && h.time === last.time ? updated : h)),
  };
}

/**
 * The PromotionPolicy reconciler: every interval, per selected model, fetch the per-version
 * stats since the current Production/B pair was assigned, evaluate, and record the evidence.
 * It never changes a model: the RpsModel reconciler applies an evaluation whose outcome is
 * Pending (both use `evaluationOutcome`), so a crash between the two converges.
 */
export async function reconcilePromotionPolicy(ctx: OperatorContext, key: string): Promise<ReconcileResult> {
  const { namespace, name } = splitKey(key);
  let policy = ctx.policies.get(namespace, name);
  if (!policy || policy.metadata.deletionTimestamp) return {};
  const now = ctx.now();
  const nowIso = now.toISOString();
  const generation = policy.metadata.generation ?? 0;
  const settings = policySettings(policy.spec);
  const status: PromotionPolicyStatus = structuredClone(policy.status ?? {});
  const hadConflict = (policy.status?.conditions ?? []).some((c) => c.reason === 'Conflict');
  const specChanged = status.observedGeneration !== generation;
  const evaluateNow = evaluateNowRequest(policy);
  const allPolicies = ctx.policies.list();
  const matching = ctx.models
    .list()
    .filter((m) => !m.metadata.deletionTimestamp && policySelects(policy!, m))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  // status stays bounded: a policy evaluates the first MAX_MODELS by name and says so
  const selected = matching.slice(0, MAX_MODELS);
  const beyond = matching.slice(MAX_MODELS).map((m) => m.metadata.name);

  const events: { type: EventType; reason: string; note: string }[] = [];
  const conflicts: string[] = [];
  const unreachable: string[] = [];
  const previous = new Map((status.models ?? []).map((m) => [m.model, m]));
  const entries: PolicyModelStatus[] = [];
  let requeueAfterMs = settings.intervalMs;

  for (const model of selected) {
    const modelName = model.metadata.name;
    if (settings.mode !== 'DryRun') {
      const gov = governingPolicy(model, allPolicies).policy;
      if (gov && gov.metadata.uid !== policy.metadata.uid) {
        conflicts.push(`${modelName} (governed by ${gov.metadata.name})`);
        continue;
      }
    }
    let entry = withOutcome(previous.get(modelName) ?? { model: modelName }, settings, model);
    const last = entry.lastEvaluation;
    const dueAt = last ? new Date(last.time).getTime() + settings.intervalMs : 0;
    const aliases = normalizeAliases(model.status?.aliases);
    if (
      specChanged ||
      evaluateNow !== undefined ||
      now.getTime() >= dueAt ||
      evaluationStale(last, aliases)
    ) {
      const since = model.status?.challenge?.since ?? model.metadata.creationTimestamp;
      let stats: Awaited<ReturnType<GameServerClient['versionStats']>> = [];
      let reachable = true;
      if (aliases.Production) {
        try {
          stats = await ctx.game(namespace).versionStats(modelName, since, settings.includeSyntheticPlayers);
        } catch (err) {
          reachable = false;
          unreachable.push(`${modelName}: ${(err as Error).message}`);
          requeueAfterMs = Math.min(requeueAfterMs, UNREACHABLE_RETRY_MS);
        }
      }
      if (reachable) {
        const ev = evaluate({
          model: modelName,
          aliases,
          pins: model.spec.aliases,
          since,
          stats,
          settings,
          now: nowIso,
          versions: model.status?.versions ?? [],
        });
        ev.outcome = evaluationOutcome(ev, settings.mode, settings.approve, aliases);
        entry = {
          model: modelName,
          lastEvaluation: ev,
          // the same evaluation again (same pair, decision, outcome) replaces its entry
          history: evaluationNews(last, ev)
            ? appendHistory(entry.history, [ev], EVALUATION_HISTORY_LIMIT)
            : [...(entry.history ?? []).slice(0, -1), ev],
          nextEvaluationTime: new Date(now.getTime() + settings.intervalMs).toISOString(),
        };
        ctx.metrics.promotions.inc({ model: modelName, decision: ev.decision });
        // a decision without a test (the lead rule, no challenger) leaves no p-value to show
        if (ev.pValue !== undefined) ctx.metrics.lastPValue.set({ model: modelName }, ev.pValue);
        else ctx.metrics.lastPValue.remove({ model: modelName });
        if (evaluationNews(last, ev)) {
          events.push({
            type: 'Normal',
            reason: evaluationEventReason(ev),
            note: `${modelName}: ${ev.decision} — ${ev.reason} [evaluation ${ev.id}, ${ev.outcome}]`,
          });
        }
        status.lastEvaluationTime = nowIso;
        if (ev.outcome === 'Pending') ctx.enqueueModel(model.metadata.namespace, modelName);
      }
    }
    const next = entry.nextEvaluationTime ? new Date(entry.nextEvaluationTime).getTime() - now.getTime() : 0;
    if (next > 0) requeueAfterMs = Math.min(requeueAfterMs, next);
    entries.push(entry);
  }

  status.models = entries;
  const summary = decisionSummary(entries);
  if (summary) status.lastDecision = summary;
  else delete status.lastDecision;
  status.selectedModels = selected.map((m) => m.metadata.name).join(',');
  const cond = (type: string, s: 'True' | 'False', reason: string, message: string) => {
    status.conditions = setCondition(
      status.conditions,
      { type, status: s, reason, message },
      generation,
      nowIso,
    );
  };
  if (!selected.length) {
    cond('Ready', 'False', 'NoModelsSelected', 'the policy selects no RpsModel in this namespace');
  } else if (conflicts.length) {
    cond(
      'Ready',
      'False',
      'Conflict',
      `models already governed by an older policy are skipped: ${conflicts.join(', ')}`,
    );
  } else if (unreachable.length) {
    cond('Ready', 'False', 'GameServerUnreachable', `could not read stats: ${unreachable.join('; ')}`);
  } else if (beyond.length) {
    cond(
      'Ready',
      'False',
      'TooManyModels',
      `the policy selects ${matching.length} models; it evaluates at most ${MAX_MODELS} (the first by name), skipped: ${beyond.slice(0, 10).join(', ')}${beyond.length > 10 ? `, … (${beyond.length - 10} more)` : ''}; split the models over more policies`,
    );
  } else {
    const interval = policy.spec.interval ?? '5m';
    cond(
      'Ready',
      'True',
      'Evaluating',
      `${settings.mode}: evaluating ${entries.length} model(s) every ${interval}`,
    );
  }
  status.observedGeneration = generation;
  if (evaluateNow !== undefined) status.lastEvaluateNow = evaluateNow;

  const clean = statusJson(status);
  if (!isDeepStrictEqual(clean, policy.status ?? {}))
    policy = await replaceStatus(ctx, PROMOTION_POLICIES, policy, clean);
  if (conflicts.length && !hadConflict) {
    events.push({ type: 'Warning', reason: 'PolicyConflict', note: `skipped: ${conflicts.join(', ')}` });
  }
  for (const e of events) await ctx.events.record(e.type, policy, e.reason, 'Evaluate', e.note);
  return { requeueAfterMs: Math.max(requeueAfterMs, 1000) };
}
