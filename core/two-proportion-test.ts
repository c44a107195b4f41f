import { normalCdf } from './normal-distribution.ts';

export interface TwoProportionResult {
  /** (rateB − rateA) / pooled standard error */
  z: number;
  /** one-sided: P(Z ≥ z) under "B is no better than A" */
  pValue: number;
  rateA: number;
  rateB: number;
  pooled: number;
}

/**
 * One-sided pooled two-proportion z-test that arm B's success rate exceeds arm A's:
 *   p̂ = (xA + xB) / (nA + nB),  SE = √(p̂(1 − p̂)(1/nA + 1/nB)),  z = (xB/nB − xA/nA) / SE,  p = 1 − Φ(z).
 * With an empty arm or a zero standard error (both arms all wins or all losses) there is no
 * evidence either way: z = 0 and p = 1.
 */
export function twoProportionZTest(
  winsA: number,
  gamesA: number,
  winsB: number,
  gamesB: number,
): TwoProportionResult {
  const rateA = gamesA > 0 ? winsA / gamesA : 0;
  const rateB = gamesB > 0 ? winsB / gamesB : 0;
  const pooled = gamesA + gamesB > 0 ? (winsA + winsB) / (gamesA + gamesB) : 0;
  if (gamesA === 0 || gamesB === 0) return { z: 0, pValue: 1, rateA, rateB, pooled };
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / gamesA + 1 / gamesB));
  if (se === 0) return { z: 0, pValue: 1, rateA, rateB, pooled };
  const z = (rateB - rateA) / se;
  return { z, pValue: 1 - normalCdf(z), rateA, rateB, pooled };
}
