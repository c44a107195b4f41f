import { describe, expect, it } from 'vitest';
import { normalCdf, twoProportionZTest } from '../../core/index.ts';

// Reference values computed once with Python's math.erfc (Φ(z) = erfc(−z/√2)/2) from the pooled
// formula p̂ = (xA + xB)/(nA + nB), SE = √(p̂(1−p̂)(1/nA + 1/nB)), z = (xB/nB − xA/nA)/SE, p = 1 − Φ(z).
const CASES = [
  { a: [50, 100], b: [65, 100], z: 2.14559561956, p: 0.0159526276183 },
  { a: [45, 100], b: [55, 100], z: 1.41421356237, p: 0.0786496035251 },
  { a: [120, 300], b: [150, 300], z: 2.46182981959, p: 0.00691151191019 },
  { a: [30, 60], b: [29, 60], z: -0.182599548645, p: 0.572443880741 },
  { a: [10, 200], b: [40, 200], z: 4.53557367611, p: 2.87235595958e-6 },
] as const;

describe('two-proportion z-test (one-sided, pooled)', () => {
  it.each(CASES)('B $b vs A $a gives z=$z and p=$p', ({ a, b, z, p }) => {
    const t = twoProportionZTest(a[0], a[1], b[0], b[1]);
    expect(t.z).toBeCloseTo(z, 9);
    // erfc approximation: relative error below 1.2e-7
    expect(Math.abs(t.pValue - p) / p).toBeLessThan(2e-6);
    expect(t.rateA).toBeCloseTo(a[0] / a[1], 12);
    expect(t.rateB).toBeCloseTo(b[0] / b[1], 12);
  });

  it('the standard normal CDF matches known quantiles', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1)).toBeCloseTo(0.841344746068543, 7);
    expect(normalCdf(1.6448536269514722)).toBeCloseTo(0.95, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.97500210485178, 7);
    expect(normalCdf(-1.2)).toBeCloseTo(0.115069670221708, 7);
    expect(normalCdf(3.5)).toBeCloseTo(0.999767370920964, 7);
  });

  it('reports no evidence (z 0, p 1) for an empty arm or zero variance', () => {
    expect(twoProportionZTest(0, 0, 5, 10)).toMatchObject({ z: 0, pValue: 1 });
    expect(twoProportionZTest(10, 10, 10, 10)).toMatchObject({ z: 0, pValue: 1 });
    expect(twoProportionZTest(0, 10, 0, 10)).toMatchObject({ z: 0, pValue: 1 });
  });

  it('is one-sided: B worse than A never looks significant', () => {
    expect(twoProportionZTest(65, 100, 50, 100).pValue).toBeGreaterThan(0.95);
  });
});
