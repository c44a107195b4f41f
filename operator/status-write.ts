import type { OperatorContext } from './context.ts';
import { GROUP, VERSION, type ObjectMeta } from './resources.ts';

/**
 * Writes a custom resource's status subresource with a replace, so the API server refuses it (409)
 * when the object changed since the resourceVersion the decision was made from.
 */
export async function replaceStatus<T extends { metadata: ObjectMeta }, S>(
  ctx: OperatorContext,
  plural: string,
  object: T,
  status: S,
): Promise<T> {
  return (await ctx.kube.custom.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: object.metadata.namespace,
    plural,
    name: object.metadata.name,
    body: { ...object, status },
  })) as T;
}
