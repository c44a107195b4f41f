import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_SET, seededRandom } from '../../core/index.ts';
import { predictGbdt, trainGbdt } from '../../trainer/algorithms/gbdt.ts';
import { resolveHyperparameters } from '../../trainer/config.ts';
import { treesToOnnx } from '../../trainer/onnx-export.ts';
import { checkParity } from '../../trainer/parity.ts';
import type { Rows } from '../../trainer/split.ts';

const INFO = { model: 'forrest', version: 'v1', algorithm: 'gbdt', featureSet: FEATURE_SET };

/** Rows whose class is decided by thresholds on features 0 and 5; feature values repeat a lot. */
function thresholdRows(n: number, seed: number, noise = 0): Rows {
  const random = seededRandom(seed);
  const x = new Float32Array(n * FEATURE_COUNT);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < FEATURE_COUNT; c++) x[r * FEATURE_COUNT + c] = Math.round(random() * 20) / 10 - 1;
    const a = x[r * FEATURE_COUNT]!;
    const b = x[r * FEATURE_COUNT + 5]!;
    y[r] = random() < noise ? Math.floor(random() * 3) : a < 0 ? 0 : b < 0.3 ? 1 : 2;
  }
  return { x, y, rows: n };
}

describe('gbdt', () => {
  it('finds threshold splits, and the ONNX tree ensemble routes every row the same way', async () => {
    const train = thresholdRows(600, 1);
    const valid = thresholdRows(200, 2);
    const hp = resolveHyperparameters('gbdt', { trees: 30, depth: 3, eta: 0.5, subsample: 1, colsample: 1 });
    const { model } = trainGbdt(train, valid, FEATURE_COUNT, 3, hp, seededRandom(1));
    const p = predictGbdt(model, valid.x, valid.rows, FEATURE_COUNT);
    let correct = 0;
    for (let r = 0; r < valid.rows; r++) {
      const row = Array.from(p.subarray(r * 3, r * 3 + 3));
      if (row.indexOf(Math.max(...row)) === valid.y[r]) correct++;
    }
    expect(correct / valid.rows).toBeGreaterThan(0.97);
    // training rows sit exactly on the cut points, the hardest case for `x < threshold`
    const onnx = treesToOnnx(INFO, model.baseMargins, model.trees);
    const onTrain = predictGbdt(model, train.x, train.rows, FEATURE_COUNT);
    expect((await checkParity(onnx, train.x, train.rows, onTrain)).maxAbsDiff).toBeLessThanOrEqual(1e-5);
  });

  it('stops early when the validation loss stops improving and keeps the best round', () => {
    const train = thresholdRows(300, 3, 1);
    const valid = thresholdRows(150, 4, 1);
    const hp = resolveHyperparameters('gbdt', { trees: 300, earlyStoppingRounds: 5 });
    const result = trainGbdt(train, valid, FEATURE_COUNT, 3, hp, seededRandom(1));
    expect(result.stoppedEarly).toBe(true);
    expect(result.rounds).toBe(result.bestRound + 5);
    expect(result.model.trees.length).toBe(result.bestRound * 3);
  });

  it('respects depth and min child weight', () => {
    const train = thresholdRows(300, 5);
    const shallow = trainGbdt(
      train,
      thresholdRows(50, 6),
      FEATURE_COUNT,
      3,
      resolveHyperparameters('gbdt', { trees: 5, depth: 1 }),
      seededRandom(1),
    );
    for (const t of shallow.model.trees) expect(t.nodes.length).toBeLessThanOrEqual(3);
    const stumps = trainGbdt(
      train,
      thresholdRows(50, 6),
      FEATURE_COUNT,
      3,
      resolveHyperparameters('gbdt', { trees: 5, minChildWeight: 10_000 }),
      seededRandom(1),
    );
    for (const t of stumps.model.trees) expect(t.nodes).toHaveLength(1);
  });
});
