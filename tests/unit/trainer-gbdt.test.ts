import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_SET, seededRandom } from '../../core/index.ts';
import { predictGbdt, trainGbdt } from '../../trainer/algorithms/gbdt.ts';
import { resolveHyperparameters } from '../../trainer/hyperparameters.ts';
import { treesToOnnx } from '../../trainer/onnx-export.ts';
import { checkParity } from '../../trainer/parity.ts';
import type { TreeNode } from '../../trainer/onnx-export.ts';
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
    const { model } = await trainGbdt(train, valid, FEATURE_COUNT, 3, hp, seededRandom(1));
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

  it('stops early when the validation loss stops improving and keeps the best round', async () => {
    const train = thresholdRows(300, 3, 1);
    const valid = thresholdRows(150, 4, 1);
    const hp = resolveHyperparameters('gbdt', { trees: 300, earlyStoppingRounds: 5 });
    const result = await trainGbdt(train, valid, FEATURE_COUNT, 3, hp, seededRandom(1));
    expect(result.stoppedEarly).toBe(true);
    expect(result.rounds).toBe(result.bestRound + 5);
    expect(result.model.trees.length).toBe(result.bestRound * 3);
  });

  it('respects depth and min child weight', async () => {
    const train = thresholdRows(300, 5);
    const shallow = await trainGbdt(
      train,
      thresholdRows(50, 6),
      FEATURE_COUNT,
      3,
      resolveHyperparameters('gbdt', { trees: 5, depth: 1 }),
      seededRandom(1),
    );
    for (const t of shallow.model.trees) expect(t.nodes.length).toBeLessThanOrEqual(3);
    const stumps = await trainGbdt(
      train,
      thresholdRows(50, 6),
      FEATURE_COUNT,
      3,
      resolveHyperparameters('gbdt', { trees: 5, minChildWeight: 10_000 }),
      seededRandom(1),
    );
    for (const t of stumps.model.trees) expect(t.nodes).toHaveLength(1);
  });

  it('grows the trees an exhaustive search over every feature and cut point would', async () => {
    // one-hot-like features (mostly 0) and features with 21 values: every distinct value gets a
    // cut point, so the histogram search must find the best split of all
    const random = seededRandom(9);
    const n = 500;
    const x = new Float32Array(n * FEATURE_COUNT);
    const y = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < FEATURE_COUNT; c++) {
        x[r * FEATURE_COUNT + c] =
          c % 2 === 0 ? (random() < 0.15 ? 1 : 0) : Math.round(random() * 20) / 10 - 1;
      }
      const o = r * FEATURE_COUNT;
      y[r] = random() < 0.2 ? Math.floor(random() * 3) : x[o + 4] === 1 ? 0 : x[o + 7]! < 0.2 ? 1 : 2;
    }
    const train: Rows = { x, y, rows: n };
    const hp = resolveHyperparameters('gbdt', { trees: 1, depth: 3, eta: 1, subsample: 1, colsample: 1 });
    const { model } = await trainGbdt(train, thresholdRows(50, 10), FEATURE_COUNT, 3, hp, seededRandom(1));
    expect(model.trees).toHaveLength(3);

    const cuts: number[][] = [];
    for (let c = 0; c < FEATURE_COUNT; c++) {
      const values = [...new Set(Array.from({ length: n }, (_, r) => x[r * FEATURE_COUNT + c]!))].sort(
        (a, b) => a - b,
      );
      cuts.push(values.slice(1).map((v, i) => Math.fround((values[i]! + v) / 2)));
    }
    const base = model.baseMargins;
    const max = Math.max(...base);
    const sum = base.reduce((a, m) => a + Math.exp(m - max), 0);
    const prior = base.map((m) => Math.exp(m - max) / sum);
    const { lambda, minChildWeight } = hp;
    const score = (G: number, H: number) => (G * G) / (H + lambda);
    for (const tree of model.trees) {
      const j = tree.classIndex;
      const g = (r: number) => prior[j]! - (y[r] === j ? 1 : 0);
      const h = Math.max(prior[j]! * (1 - prior[j]!), 1e-16);
      const gainOf = (rows: number[], c: number, t: number): number | null => {
        let GL = 0;
        let HL = 0;
        let G = 0;
        for (const r of rows) {
          G += g(r);
          if (x[r * FEATURE_COUNT + c]! < t) {
            GL += g(r);
            HL += h;
          }
        }
        const H = rows.length * h;
        if (HL < minChildWeight || H - HL < minChildWeight) return null;
        return 0.5 * (score(GL, HL) + score(G - GL, H - HL) - score(G, H));
      };
      const check = (id: number, rows: number[], depth: number): void => {
        const node: TreeNode = tree.nodes[id]!;
        let best = 0;
        if (depth < hp.depth && rows.length >= 2 && rows.length * h >= 2 * minChildWeight) {
          for (let c = 0; c < FEATURE_COUNT; c++) {
            for (const t of cuts[c]!) best = Math.max(best, gainOf(rows, c, t) ?? 0);
          }
        }
        if (node.leaf) {
          const G = rows.reduce((a, r) => a + g(r), 0);
          expect(node.value).toBeCloseTo(-G / (rows.length * h + lambda), 5);
          expect(best).toBeLessThan(1e-9);
          return;
        }
        expect(gainOf(rows, node.feature, node.threshold)).toBeGreaterThanOrEqual(best - 1e-9);
        const at = (r: number) => x[r * FEATURE_COUNT + node.feature]!;
        check(
          node.left,
          rows.filter((r) => at(r) < node.threshold),
          depth + 1,
        );
        check(
          node.right,
          rows.filter((r) => at(r) >= node.threshold),
          depth + 1,
        );
      };
      check(
        0,
        Array.from({ length: n }, (_, r) => r),
        0,
      );
    }
  });
});
