// Drift: do today's players still look like the rows a version was trained on?
// Population stability index (PSI) on the player's move distribution and on quantile-binned
// features, plus a chi-square goodness-of-fit test of the recent move counts. Pure code: the
// trainer stores `referenceStats` in metadata.json, the game server compares recent rounds with it.
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureBatch } from './features.ts';
import { erfc } from './normal-distribution.ts';
import type { ReferenceStatistics } from './schemas.ts';

/** The features binned for PSI: habits of the player and the game's state. */
export const DRIFT_FEATURES: readonly string[] = Object.freeze([
  'tier_share_highest',
  'tier_share_beats_highest',
  'tier_share_beats_that',
  'player_share_rock',
  'player_share_paper',
  'player_share_scissors',
  'score_difference',
  'round',
]);

/** PSI < 0.1 stable, 0.1–0.2 moderate shift, > 0.2 significant shift (the usual rule of thumb). */
export const DEFAULT_DRIFT_THRESHOLD = 0.2;
export const DEFAULT_DRIFT_MIN_ROWS = 200;
/**
 * A reference of fewer training rows concludes nothing: against a few hundred rows the PSI of an
 * unchanged population often passes 0.2 (bench/drift-noise.ts, docs/drift.md).
 */
export const DEFAULT_DRIFT_MIN_REFERENCE_ROWS = 500;
const BINS = 10;
// an empty bin would make ln(a/e) infinite; this floor is the customary remedy
const EPSILON = 1e-4;

function featureIndex(name: string): number {
  const i = FEATURE_NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown feature "${name}"; known: ${FEATURE_NAMES.join(', ')}`);
  return i;
}

function column(batch: FeatureBatch, index: number): Float64Array {
  const out = new Float64Array(batch.rows);
  for (let r = 0; r < batch.rows; r++) out[r] = batch.x[r * FEATURE_COUNT + index]!;
  return out;
}

/** Distinct inner edges at the 1/BINS … (BINS-1)/BINS quantiles. */
function quantileEdges(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let q = 1; q < BINS; q++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((q * sorted.length) / BINS))]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  // a constant feature still gets two bins (below it, and it or above), so a change shows
  if (edges.length === 0 && sorted.length) edges.push(sorted[0]! === 0 ? Number.MIN_VALUE : sorted[0]!);
  return edges;
}

function binShares(values: Float64Array, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let b = 0;
    while (b < edges.length && v >= edges[b]!) b++;
    counts[b]!++;
  }
  return counts.map((c) => (values.length ? c / values.length : 0));
}

function moveShares(batch: FeatureBatch): [number, number, number] {
  const counts = [0, 0, 0];
  for (let r = 0; r < batch.rows; r++) counts[batch.y[r]!]!++;
  const n = Math.max(1, batch.rows);
  return [counts[0]! / n, counts[1]! / n, counts[2]! / n];
}

/** The statistics of the training rows that `driftReport` compares recent rows with. */
export function referenceStats(batch: FeatureBatch): ReferenceStatistics {
  const mean = new Array<number>(FEATURE_COUNT).fill(0);
  const std = new Array<number>(FEATURE_COUNT).fill(0);
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const col = column(batch, f);
    let sum = 0;
    for (const v of col) sum += v;
    const m = batch.rows ? sum / batch.rows : 0;
    let sq = 0;
    for (const v of col) sq += (v - m) ** 2;
    mean[f] = m;
    std[f] = batch.rows ? Math.sqrt(sq / batch.rows) : 0;
  }
  return {
    rows: batch.rows,
    featureMean: mean,
    featureStd: std,
    moveShares: moveShares(batch),
    histograms: DRIFT_FEATURES.map((feature) => {
      const col = column(batch, featureIndex(feature));
      const edges = quantileEdges(col);
      return { feature, edges, shares: binShares(col, edges) };
    }),
  };
}

/** Population stability index of two distributions over the same bins. */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length)
    throw new Error(`PSI needs equal bins, got ${expected.length} and ${actual.length}`);
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, EPSILON);
    const a = Math.max(actual[i]!, EPSILON);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/** Chi-square goodness of fit of observed counts to expected shares; df = bins − 1. */
export function chiSquareTest(
  observed: readonly number[],
  expectedShares: readonly number[],
): { statistic: number; df: number; pValue: number } {
  const n = observed.reduce((a, b) => a + b, 0);
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = Math.max(expectedShares[i]!, EPSILON) * n;
    statistic += (observed[i]! - e) ** 2 / e;
  }
  const df = observed.length - 1;
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}

/** P(X ≥ x) for a chi-square variable: exact closed forms for df 1 and 2 (the ones drift uses). */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  if (df === 2) return Math.exp(-x / 2);
  if (df === 1) return erfc(Math.sqrt(x / 2));
  throw new Error(`chi-square survival implemented for df 1 and 2, got ${df}`);
}

export interface DriftReport {
  rows: number;
  /** fewer recent rows than `minRows`, or a reference of fewer than `minReferenceRows`: nothing is concluded */
  insufficientData: boolean;
  drifted: boolean;
  threshold: number;
  statistic: 'psi';
  /** the largest PSI of the move distribution and the binned features */
  score: number;
  moveDistribution: { reference: number[]; recent: number[]; psi: number; chiSquare: number; pValue: number };
  /** binned features, largest PSI first */
  features: { name: string; psi: number }[];
  /** every feature's standardised mean shift |recent mean − reference mean| / reference std, largest first (top 5) */
  meanShift: { name: string; z: number }[];
}

/** Compares recent rows with a version's training reference. */
export function driftReport(
  reference: ReferenceStatistics,
  recent: FeatureBatch,
  options: { threshold?: number; minRows?: number; minReferenceRows?: number } = {},
): DriftReport {
  const threshold = options.threshold ?? DEFAULT_DRIFT_THRESHOLD;
  const minRows = options.minRows ?? DEFAULT_DRIFT_MIN_ROWS;
  const minReferenceRows = options.minReferenceRows ?? DEFAULT_DRIFT_MIN_REFERENCE_ROWS;
  const recentShares = moveShares(recent);
  const counts = recentShares.map((s) => Math.round(s * recent.rows));
  const chi = recent.rows ? chiSquareTest(counts, reference.moveShares) : { statistic: 0, df: 2, pValue: 1 };
  const movePsi = populationStabilityIndex(reference.moveShares, recentShares);
  const features = (reference.histograms ?? [])
    .map((h) => ({
      name: h.feature,
      psi: populationStabilityIndex(h.shares, binShares(column(recent, featureIndex(h.feature)), h.edges)),
    }))
    .sort((a, b) => b.psi - a.psi);
  const meanShift = FEATURE_NAMES.map((name, f) => {
    const col = column(recent, f);
    let sum = 0;
    for (const v of col) sum += v;
    const m = recent.rows ? sum / recent.rows : 0;
    const sd = reference.featureStd[f]!;
    return { name, z: sd > 0 ? Math.abs(m - reference.featureMean[f]!) / sd : 0 };
  })
    .sort((a, b) => b.z - a.z)
    .slice(0, 5);
  const insufficientData = recent.rows < minRows || recent.rows === 0 || reference.rows < minReferenceRows;
  // no rows: every share is 0, which says nothing about the players
  const score = recent.rows === 0 ? 0 : Math.max(movePsi, ...features.map((f) => f.psi));
  return {
    rows: recent.rows,
    insufficientData,
    drifted: !insufficientData && score >= threshold,
    threshold,
    statistic: 'psi',
    score,
    moveDistribution: {
      reference: [...reference.moveShares],
      recent: recentShares,
      psi: movePsi,
      chiSquare: chi.statistic,
      pValue: chi.pValue,
    },
    features,
    meanShift,
  };
}
