import { EVALUATE_NOW_ANNOTATION, type PromotionPolicy } from '../resources.ts';

/**
 * The evaluate-now request not acted on yet: the annotation's value when it differs from the last
 * one the policy's status records (`status.lastEvaluateNow`), as train-now does for RpsModels.
 * Recording the value in the same status write as the evaluations makes it yield undefined after.
 */
export function evaluateNowRequest(policy: Pick<PromotionPolicy, 'metadata' | 'status'>): string | undefined {
  const value = policy.metadata.annotations?.[EVALUATE_NOW_ANNOTATION];
  if (value === undefined || value === '' || value === policy.status?.lastEvaluateNow) return undefined;
  return value;
}
