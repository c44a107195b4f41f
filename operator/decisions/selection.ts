import type { LabelSelector, PromotionPolicy, RpsModel } from '../resources.ts';

export function matchesSelector(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function policySelects(policy: PromotionPolicy, model: RpsModel): boolean {
  if (policy.metadata.namespace !== model.metadata.namespace) return false;
  if (policy.spec.models) return policy.spec.models.includes(model.metadata.name);
  if (policy.spec.selector) return matchesSelector(policy.spec.selector, model.metadata.labels);
  return false;
}

function olderFirst(a: PromotionPolicy, b: PromotionPolicy): number {
  const t = a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp);
  return t !== 0 ? t : a.metadata.name.localeCompare(b.metadata.name);
}

/**
 * The policy that governs a model (its traffic split, entry alias and promotions): the oldest
 * non-DryRun policy selecting it. DryRun policies only record, so several may watch a model.
 * The others that select it too are in conflict and skip it.
 */
export function governingPolicy(
  model: RpsModel,
  policies: readonly PromotionPolicy[],
): { policy: PromotionPolicy | undefined; conflicting: PromotionPolicy[] } {
  const active = policies
    .filter(
      (p) =>
        !p.metadata.deletionTimestamp && (p.spec.mode ?? 'Automatic') !== 'DryRun' && policySelects(p, model),
    )
    .sort(olderFirst);
  return { policy: active[0], conflicting: active.slice(1) };
}
