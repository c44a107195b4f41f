import { describe, expect, it } from 'vitest';
import {
  ReferenceStatisticsSchema,
  chiSquareSurvival,
  chiSquareTest,
  createSyntheticPlayer,
  DEFAULT_DRIFT_MIN_REFERENCE_ROWS,
  driftReport,
  featureBatch,
  populationStabilityIndex,
  referenceStats,
  seededRandom,
  simulateGame,
  UNIFORM,
  validate,
  type FeatureBatch,
  type SyntheticPlayerName,
} from '../../core/index.ts';

/** Rows of `games` games of the given synthetic players against uniform-EV bots. */
function population(players: SyntheticPlayerName[], games: number, seed: number): FeatureBatch {
  const random = seededRandom(seed);
  const played = Array.from(
    { length: games },
    (_, i) =>
      simulateGame({
        gameId: `g-${seed}-${i}`,
        player: createSyntheticPlayer(players[i % players.length]!, random),
        predictor: () => UNIFORM,
        random,
      }).rounds,
  );
  return featureBatch(played);
}

const ALL: SyntheticPlayerName[] = ['Ace', 'Bob', 'Cal', 'Dan', 'Edd', 'Fox', 'Gus', 'Hal'];

describe('population stability index', () => {
  it('matches a hand computation', () => {
    // (0.4−0.5)·ln(0.4/0.5) + (0.6−0.5)·ln(0.6/0.5) = 0.0223144 + 0.0182322
    expect(populationStabilityIndex([0.5, 0.5], [0.4, 0.6])).toBeCloseTo(0.0405465, 6);
    expect(populationStabilityIndex([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
  });

  it('stays finite for an empty bin', () => {
    expect(Number.isFinite(populationStabilityIndex([0.5, 0.5, 0], [0.3, 0.3, 0.4]))).toBe(true);
  });

  it('refuses bins of different lengths', () => {
    expect(() => populationStabilityIndex([1], [0.5, 0.5])).toThrow(/equal bins/);
  });
});

describe('chi-square', () => {
  // expected p-values from Python: math.exp(-x/2) (df 2) and math.erfc(math.sqrt(x/2)) (df 1)
  it.each([
    [0.5, 2, 0.7788007830714049],
    [3.84, 2, 0.14660696213035015],
    [5.99, 2, 0.05003662708658628],
    [10, 2, 0.006737946999085467],
    [1, 1, 0.31731050786291404],
    [3.84, 1, 0.05004352124870509],
    [10, 1, 0.0015654022580025488],
  ])('P(X ≥ %f | df %i) = %f', (x, df, p) => {
    expect(chiSquareSurvival(x, df)).toBeCloseTo(p, 6);
  });

  it('tests counts against shares', () => {
    // (40−33.3)²/33.3 + (30−33.3)²/33.3 + (30−33.3)²/33.3 = 2.0
    const t = chiSquareTest([40, 30, 30], [1 / 3, 1 / 3, 1 / 3]);
    expect(t.statistic).toBeCloseTo(2, 6);
    expect(t.df).toBe(2);
    expect(t.pValue).toBeCloseTo(Math.exp(-1), 6);
  });
});

describe('drift report', () => {
  const reference = referenceStats(population(ALL, 240, 1));

  it('keeps reference statistics that validate against the metadata schema', () => {
    const result = validate(ReferenceStatisticsSchema, reference);
    expect(result.ok).toBe(true);
    expect(reference.histograms!.map((h) => h.feature)).toContain('tier_share_highest');
    for (const h of reference.histograms!) {
      expect(h.shares).toHaveLength(h.edges.length + 1);
      expect(h.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
  });

  it('finds no drift in the same population with other seeds', () => {
    const report = driftReport(reference, population(ALL, 240, 2));
    expect(report.insufficientData).toBe(false);
    expect(report.score).toBeLessThan(0.1);
    expect(report.drifted).toBe(false);
    expect(report.moveDistribution.pValue).toBeGreaterThan(0.001);
  });

  it('finds drift when the players change from one habit to another', () => {
    const calOnly = referenceStats(population(['Cal'], 120, 3));
    const report = driftReport(calOnly, population(['Fox'], 120, 4));
    expect(report.drifted).toBe(true);
    expect(report.score).toBeGreaterThan(0.2);
    expect(report.features[0]!.psi).toBeGreaterThanOrEqual(report.features[report.features.length - 1]!.psi);
    expect(report.meanShift[0]!.z).toBeGreaterThan(0.5);
  });

  it('concludes nothing from too few rows', () => {
    const few = population(['Fox'], 3, 5);
    const report = driftReport(reference, few, { minRows: 200 });
    expect(report.insufficientData).toBe(true);
    expect(report.drifted).toBe(false);
    expect(report.rows).toBe(few.rows);
  });

  it('concludes nothing against a reference of too few training rows, and says so at the default', () => {
    const small = referenceStats(population(['Cal'], 30, 7));
    expect(small.rows).toBeLessThan(DEFAULT_DRIFT_MIN_REFERENCE_ROWS);
    const recent = population(['Fox'], 120, 8);
    const guarded = driftReport(small, recent);
    expect(guarded).toMatchObject({ insufficientData: true, drifted: false });
    // the score is still computed: it is the conclusion that is withheld
    expect(guarded.score).toBeGreaterThan(0.2);
    expect(driftReport(small, recent, { minReferenceRows: small.rows })).toMatchObject({
      insufficientData: false,
      drifted: true,
    });
  });

  it('reports no rows as insufficient data with finite numbers', () => {
    const report = driftReport(reference, { x: new Float32Array(0), y: new Uint8Array(0), rows: 0 });
    expect(report.insufficientData).toBe(true);
    expect(report.drifted).toBe(false);
    expect(report.score).toBe(0);
    expect(report.moveDistribution.pValue).toBe(1);
  });

  it('uses the threshold it is given', () => {
    const recent = population(ALL, 240, 6);
    const strict = driftReport(reference, recent, { threshold: 0 });
    expect(strict.drifted).toBe(true);
    expect(strict.threshold).toBe(0);
  });
});
