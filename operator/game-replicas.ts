import { DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';

/**
 * The Service name in a game server URL: `http://rps-quest-game:8080` or
 * `http://rps-quest-game.rps-quest.svc.cluster.local` name the Service rps-quest-game; an address
 * or localhost names none (a game server run as a plain process).
 */
export function serviceOf(gameUrl: string): string | null {
  const host = new URL(gameUrl).hostname;
  if (host === 'localhost' || /^[\d.]+$/.test(host) || host.includes(':')) return null;
  const [name, ...rest] = host.split('.');
  if (rest.length > 0 && rest[1] !== 'svc') return null; // an outside name, not a Service
  return name!;
}

/** The namespace of a Service URL (`<service>.<namespace>.svc…`), or fallback for a bare name. */
export function serviceNamespace(gameUrl: string, fallback: string): string {
  return new URL(gameUrl).hostname.split('.')[1] ?? fallback;
}

interface Slice {
  ports?: { name?: string; port?: number }[] | null;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } | null }[] | null;
}

/** Base URLs of the ready endpoints in the slices, on the port named `http` (the first port otherwise). */
export function readyEndpoints(slices: readonly Slice[]): string[] {
  const urls = new Set<string>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => p.name === 'http') ?? slice.ports?.[0];
    if (!port?.port) continue;
    for (const e of slice.endpoints ?? []) {
      // an unset condition means ready (EndpointSlice API)
      if (e.conditions?.ready === false) continue;
      for (const a of e.addresses) urls.add(`http://${a.includes(':') ? `[${a}]` : a}:${port.port}`);
    }
  }
  return [...urls].sort();
}

/**
 * Lists the ready replicas behind the game Service from its EndpointSlices, for the operator's
 * "served by every ready replica" check; null when the Service has no EndpointSlices at all (the
 * game server is not a Service: ask the URL itself).
 */
export function endpointSliceReplicas(
  kubeConfig: KubeConfig,
  namespace: string,
  service: string,
): () => Promise<string[] | null> {
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  return async () => {
    let list;
    try {
      list = await discovery.listNamespacedEndpointSlice({
        namespace,
        labelSelector: `kubernetes.io/service-name=${service}`,
      });
    } catch (err) {
      const detail = (err as { code?: number }).code ?? (err as Error).message;
      throw new Error(
        `listing the ready game server replicas (EndpointSlices of Service ${namespace}/${service}) failed: ${detail}`,
        { cause: err },
      );
    }
    if (list.items.length === 0) return null;
    return readyEndpoints(list.items);
  };
}
