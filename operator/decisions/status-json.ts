/**
 * A status as it is written: plain JSON (undefined fields dropped) without empty objects, which
 * `kubectl describe` and `-o yaml` would show as noise (`serving: {}`). Arrays and nulls stay.
 */
export function statusJson<T>(status: T): T {
  return prune(JSON.parse(JSON.stringify(status)) as unknown) as T;
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const p = prune(v);
    if (p !== null && typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
    out[k] = p;
  }
  return out;
}
