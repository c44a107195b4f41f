import { isDeepStrictEqual } from 'node:util';
import type { OperatorContext } from '../context.ts';
import { statusJson } from '../decisions/status-json.ts';
import { FINALIZER, splitKey } from '../resources.ts';
import type { ReconcileResult } from '../work-queue.ts';
import { aliases } from './rps-model/aliases.ts';
import { setFinalizers, writeModelStatus } from './rps-model/api.ts';
import { finalize } from './rps-model/finalize.ts';
import { ready } from './rps-model/ready.ts';
import { retention } from './rps-model/retention.ts';
import { serving } from './rps-model/serving.ts';
import { ModelState, combine, type Step, type StepResult } from './rps-model/state.ts';
import { training } from './rps-model/training.ts';

/**
 * The steps of one reconcile of an RpsModel, in order: train (and register what was trained),
 * move the aliases, drop old versions, write the serving manifest, sum up in Ready.
 */
export const MODEL_STEPS: readonly Step[] = [training, aliases, retention, serving, ready];

/**
 * Runs the steps and folds their results: the earliest requeue and the first error. A step that
 * is `done` wrote status itself and ends the reconcile. Otherwise status is written once, if it
 * changed, then the Events are recorded, then the first error is thrown for the queue's backoff.
 * A step that throws ends the reconcile at once, without a status write.
 */
export async function runSteps(state: ModelState, steps: readonly Step[]): Promise<ReconcileResult> {
  let folded: StepResult = {};
  for (const step of steps) {
    folded = combine(folded, await step(state));
    if (folded.done) break;
  }
  if (!folded.done) await writeStatus(state);
  for (const e of state.events.splice(0))
    await state.ctx.events.record(e.type, state.model, e.reason, e.action, e.note);
  if (folded.error) throw folded.error;
  return folded.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(folded.requeueAfterMs, 1) } : {};
}

/** Writes status when it differs from what was read. */
async function writeStatus(state: ModelState): Promise<void> {
  state.status.observedGeneration = state.generation;
  const status = statusJson(state.status);
  if (!isDeepStrictEqual(status, state.model.status ?? {})) {
    state.model = await writeModelStatus(state.ctx, state.model, status);
  }
}

/** The RpsModel reconciler: the finalizer first, then the steps, or the cleanup of a deleted model. */
export async function reconcileRpsModel(ctx: OperatorContext, key: string): Promise<ReconcileResult> {
  const { namespace, name } = splitKey(key);
  let model = ctx.models.get(namespace, name);
  if (!model) {
    ctx.triggerChecks.delete(key);
    return {};
  }
  if (model.metadata.deletionTimestamp) return finalize(ctx, model);
  if (!model.metadata.finalizers?.includes(FINALIZER)) {
    model = await setFinalizers(ctx, model, [...(model.metadata.finalizers ?? []), FINALIZER]);
  }
  return runSteps(new ModelState(ctx, model), MODEL_STEPS);
}
