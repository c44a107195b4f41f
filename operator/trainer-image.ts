import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.ts';
import { apiMessage, isNotFound, type Kube } from './kube.ts';

/** Outside a Pod (make dev, tests) the training Jobs run the development image. */
export const FALLBACK_TRAINER_IMAGE = 'rps-quest:dev';

/** The operator container's image in its Pod: the container named `operator`, else the only one. */
export function operatorImage(pod: V1Pod): string | undefined {
  const containers = pod.spec?.containers ?? [];
  return (
    containers.find((c) => c.name === 'operator') ?? (containers.length === 1 ? containers[0] : undefined)
  )?.image;
}

/**
 * The image the training Jobs run when TRAINER_IMAGE is not set: the operator's own (the app,
 * trainer and operator ship as one image), read from its Pod (POD_NAME in NAMESPACE). So one
 * kustomize `images:` entry changes both.
 */
export async function ownImage(
  kube: Kube,
  config: Pick<OperatorConfig, 'namespace' | 'identity'>,
  log: Logger,
): Promise<string> {
  try {
    const pod = await kube.core.readNamespacedPod({ namespace: config.namespace, name: config.identity });
    const image = operatorImage(pod);
    if (image) {
      log.info({ image }, 'training Jobs run the operator’s own image');
      return image;
    }
    log.warn({ pod: config.identity, image: FALLBACK_TRAINER_IMAGE }, 'no operator container in the Pod');
  } catch (err) {
    // not in a Pod: POD_NAME is the host name and pid
    if (!isNotFound(err))
      throw new Error(`cannot read the operator's Pod ${config.identity}: ${apiMessage(err)}`, {
        cause: err,
      });
    log.info(
      { image: FALLBACK_TRAINER_IMAGE },
      'not running in a Pod: training Jobs run the development image',
    );
  }
  return FALLBACK_TRAINER_IMAGE;
}
