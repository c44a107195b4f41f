import type { OperatorContext } from '../../context.ts';
import { servingConfigMapName, servingKey } from '../../decisions/serving.ts';
import { jobView } from '../../decisions/training-job.ts';
import { apiMessage, isNotFound } from '../../kube.ts';
import { FINALIZER, objectKey, type RpsModel } from '../../resources.ts';
import type { ReconcileResult } from '../../work-queue.ts';
import { applyServingKey, deleteJob, modelJobs, setFinalizers } from './api.ts';
import { Deferred } from './state.ts';

/** Deleting an RpsModel waits at most this long for its cleanup (then gives up with an Event). */
export const CLEANUP_DEADLINE_MS = 120_000;

/**
 * Deletion: stops the model's running Job, removes its key of the serving ConfigMap and, if
 * asked, its artifacts; then the finalizer. A failed cleanup is retried until the deadline.
 */
export async function finalize(ctx: OperatorContext, model: RpsModel): Promise<ReconcileResult> {
  if (!model.metadata.finalizers?.includes(FINALIZER)) return {};
  const log = ctx.log.child({ rpsmodel: objectKey(model.metadata.namespace, model.metadata.name) });
  const problems: string[] = [];
  // a running training Job would upload after the cleanup
  for (const job of modelJobs(ctx, model).filter((j) => jobView(j).state === 'active')) {
    await deleteJob(ctx, job.metadata.namespace, job.metadata.name).catch((err: unknown) => {
      if (!isNotFound(err)) problems.push(`delete Job ${job.metadata.name}: ${apiMessage(err)}`);
    });
  }
  const cmName = servingConfigMapName(model);
  if (ctx.configMaps.get(model.metadata.namespace, cmName)?.data?.[servingKey(model)] !== undefined) {
    try {
      await applyServingKey(ctx, model);
    } catch (err) {
      if (!isNotFound(err))
        problems.push(`remove key ${servingKey(model)} of ConfigMap ${cmName}: ${apiMessage(err)}`);
    }
  }
  let deleted = 0;
  if (model.spec.retention.deleteArtifactsOnDelete) {
    try {
      deleted = await ctx.store.deletePrefix(`${model.metadata.name}/`);
    } catch (err) {
      problems.push(`delete artifacts under ${model.metadata.name}/: ${(err as Error).message}`);
    }
  }
  if (problems.length) {
    const waited = ctx.now().getTime() - new Date(model.metadata.deletionTimestamp!).getTime();
    if (waited < CLEANUP_DEADLINE_MS) {
      await ctx.events.warning(model, 'CleanupFailed', 'Delete', `${problems.join('; ')}; retrying`);
      throw new Deferred(problems.join('; '));
    }
    await ctx.events.warning(
      model,
      'CleanupAbandoned',
      'Delete',
      `gave up after ${Math.round(waited / 1000)} s, removing the finalizer anyway: ${problems.join('; ')}`,
    );
  } else if (deleted > 0) {
    await ctx.events.normal(
      model,
      'ArtifactsDeleted',
      'Delete',
      `deleted ${deleted} objects under ${model.metadata.name}/`,
    );
  }
  try {
    await setFinalizers(
      ctx,
      model,
      (model.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  log.info('finalized');
  return {};
}
