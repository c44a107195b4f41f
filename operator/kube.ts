import {
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';

/**
 * The Kubernetes clients the operator uses. Resources of a named API group (the custom
 * resources, Jobs, Leases) go through the generic CustomObjectsApi, so
 * they travel as the plain JSON the API server speaks (the typed clients turn times into Date
 * objects and write MicroTime fields in a form the server rejects). Core resources (Pods,
 * ConfigMaps, Events) use CoreV1Api.
 */
export interface Kube {
  kubeConfig: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  batch: BatchV1Api;
}

export function makeKube(kubeConfig: KubeConfig): Kube {
  return {
    kubeConfig,
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    core: kubeConfig.makeApiClient(CoreV1Api),
    batch: kubeConfig.makeApiClient(BatchV1Api),
  };
}

/** Request options for a JSON merge patch (RFC 7386). */
export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Request options for server-side apply. */
export const serverSideApply = () => setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

function code(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'number' ? c : undefined;
}

export const isNotFound = (err: unknown) => code(err) === 404;
export const isConflict = (err: unknown) => code(err) === 409;
export const isGone = (err: unknown) => code(err) === 410;

/** The API server's message of a failed request, without the client's wrapping. */
export function apiMessage(err: unknown): string {
  const e = err as { body?: unknown; message?: string } | undefined;
  if (typeof e?.body === 'string') {
    try {
      const status = JSON.parse(e.body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      // not a Status object
    }
  } else if (e?.body && typeof e.body === 'object' && 'message' in e.body) {
    return String((e.body as { message: unknown }).message);
  }
  return e?.message ?? String(err);
}

/** MicroTime (Lease and Event times): RFC 3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
