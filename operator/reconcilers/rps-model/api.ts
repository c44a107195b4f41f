import type { V1Secret } from '@kubernetes/client-node';
import type { OperatorContext } from '../../context.ts';
import type { Job } from '../../decisions/training-job.ts';
import { servingConfigMapName, servingKey } from '../../decisions/serving.ts';
import { KEYS_PROVIDED_ANNOTATION } from '../../decisions/training-keys.ts';
import { mergePatch, serverSideApply } from '../../kube.ts';
import { replaceStatus } from '../../status-write.ts';
import {
  FIELD_MANAGER,
  GROUP,
  MODEL_LABEL,
  RPS_MODELS,
  SERVING_LABEL,
  VERSION,
  type RpsModel,
  type RpsModelStatus,
} from '../../resources.ts';

// The requests the RpsModel reconciler makes of the API server, each written once.

/** Writes the status subresource, guarded by the resourceVersion the decision was made from. */
export function writeModelStatus(
  ctx: OperatorContext,
  model: RpsModel,
  status: RpsModelStatus,
): Promise<RpsModel> {
  return replaceStatus(ctx, RPS_MODELS, model, status);
}

export async function setFinalizers(
  ctx: OperatorContext,
  model: RpsModel,
  finalizers: string[],
): Promise<RpsModel> {
  return (await ctx.kube.custom.patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      namespace: model.metadata.namespace,
      plural: RPS_MODELS,
      name: model.metadata.name,
      body: { metadata: { finalizers, resourceVersion: model.metadata.resourceVersion } },
    },
    mergePatch(),
  )) as RpsModel;
}

/** The model's own training Jobs in the cache (owned by this uid, not being deleted). */
export function modelJobs(ctx: OperatorContext, model: RpsModel): Job[] {
  return ctx.jobs
    .list()
    .filter(
      (j) =>
        j.metadata.namespace === model.metadata.namespace &&
        j.metadata.labels?.[MODEL_LABEL] === model.metadata.name &&
        !j.metadata.deletionTimestamp &&
        (j.metadata.ownerReferences ?? []).some((o) => o.uid === model.metadata.uid),
    );
}

/**
 * Applies the model's key of the serving ConfigMap with the model's own field manager: with
 * `text` the key holds it; without, the manager gives the key up and the API server removes it.
 */
export async function applyServingKey(ctx: OperatorContext, model: RpsModel, text?: string): Promise<void> {
  const name = servingConfigMapName(model);
  const namespace = model.metadata.namespace;
  await ctx.kube.core.patchNamespacedConfigMap(
    {
      name,
      namespace,
      fieldManager: `${FIELD_MANAGER}/${model.metadata.name}`,
      force: true,
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata:
          text === undefined
            ? { name, namespace }
            : {
                name,
                namespace,
                labels: {
                  [SERVING_LABEL]: 'true',
                  'app.kubernetes.io/name': 'rps-quest',
                  'app.kubernetes.io/component': 'serving-manifest',
                },
              },
        ...(text === undefined ? {} : { data: { [servingKey(model)]: text } }),
      },
    },
    serverSideApply(),
  );
}

/** Deletes a Job and, in the background, its pods; with `uid` only that very Job. */
export async function deleteJob(
  ctx: OperatorContext,
  namespace: string,
  name: string,
  uid?: string,
): Promise<void> {
  await ctx.kube.custom.deleteNamespacedCustomObject({
    group: 'batch',
    version: 'v1',
    namespace,
    plural: 'jobs',
    name,
    propagationPolicy: 'Background',
    ...(uid ? { body: { preconditions: { uid } } } : {}),
  });
}

/** Creates a Job (a 409 Conflict when one of its name exists) and returns it as stored. */
export async function createJob(ctx: OperatorContext, job: Job): Promise<Job> {
  return (await ctx.kube.custom.createNamespacedCustomObject({
    group: 'batch',
    version: 'v1',
    namespace: job.metadata.namespace,
    plural: 'jobs',
    body: job,
  })) as Job;
}

/**
 * Lets a suspended Job start its pod, and marks it as given its keys in the same patch (a later
 * suspend by someone else is then left alone); only that very Job (its uid), not a successor of
 * its name.
 */
export async function resumeJob(ctx: OperatorContext, job: Job): Promise<void> {
  await ctx.kube.custom.patchNamespacedCustomObject(
    {
      group: 'batch',
      version: 'v1',
      namespace: job.metadata.namespace,
      plural: 'jobs',
      name: job.metadata.name,
      body: {
        metadata: { uid: job.metadata.uid, annotations: { [KEYS_PROVIDED_ANNOTATION]: 'true' } },
        spec: { suspend: false },
      },
    },
    mergePatch(),
  );
}

/**
 * Creates a Secret (a 409 Conflict when one of its name exists). The operator may only create
 * Secrets: it never reads, lists, changes or deletes one (their owners' deletion removes them).
 */
export async function createSecret(ctx: OperatorContext, secret: V1Secret): Promise<void> {
  await ctx.kube.core.createNamespacedSecret({ namespace: secret.metadata!.namespace!, body: secret });
}

export async function getJob(ctx: OperatorContext, namespace: string, name: string): Promise<Job> {
  return (await ctx.kube.custom.getNamespacedCustomObject({
    group: 'batch',
    version: 'v1',
    namespace,
    plural: 'jobs',
    name,
  })) as Job;
}
