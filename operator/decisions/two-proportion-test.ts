/**
 * Complementary error function, Numerical Recipes' `erfcc` (Chebyshev fit): fractional error
 * below 1.2e-7 everywhere, plenty for comparing a p-value with a significance level.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal cumulative distribution Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

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
