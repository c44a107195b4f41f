/**
 * Exponential backoff: `base · 2^(attempt−1)`, at most `max` (attempt counts from 1). The one
 * retry schedule of the project: the operator's work queue, informers and training retries, the
 * object store client, the trainer's export reads and the app's manifest retries.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs = Number.POSITIVE_INFINITY): number {
  const exp = Math.min(Math.max(attempt, 1) - 1, 40);
  return Math.min(baseMs * 2 ** exp, maxMs);
}
