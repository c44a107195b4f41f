import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { beatenBy, moveIndex, MOVES, seededRandom } from '../../core/index.ts';
import { adamUpdate, batchGradient, useWasmBackend } from '../../trainer/algorithms/network.ts';

/** Largest |a − b| relative to the largest |b| (at least 1). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

function randomArray(n: number, random: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

const DANGER = MOVES.map((m) => moveIndex(beatenBy(m)));

describe('hand-written network gradients', () => {
  it.each([
    ['logistic', [7, 3]],
    ['two hidden layers', [7, 5, 4, 3]],
  ] as const)('%s: loss and gradients equal tfjs autodiff of the documented loss', async (_, sizes) => {
    await useWasmBackend();
    const random = seededRandom(11);
    const n = 11; // fewer rows than the batch size, as in an epoch's last batch
    const options = { dropout: 0, l2: 0.01, dangerPenalty: 0.7 };
    const classWeights = [1.5, 0.5, 1];
    const weights = sizes.slice(1).map((out, i) => randomArray(sizes[i]! * out, random));
    const biases = sizes.slice(1).map((out) => randomArray(out, random, 0.5));
    const labels = Uint8Array.from({ length: 16 }, () => Math.floor(random() * 3));
    const gradient = batchGradient(sizes, 16, options, classWeights, 1);
    const x = randomArray(n * sizes[0]!, random, 2);
    gradient.input.set(x);
    const loss = gradient.run(weights, biases, labels, n, 0);

    const tw = weights.map((w, i) => tf.tensor2d(w, [sizes[i]!, sizes[i + 1]!]));
    const tb = biases.map((b) => tf.tensor1d(b));
    const y = tf.tensor1d(Int32Array.from(labels.subarray(0, n)), 'int32');
    const lossOf = (...params: tf.Tensor[]): tf.Scalar => {
      const ws = params.slice(0, tw.length) as tf.Tensor2D[];
      const bs = params.slice(tw.length) as tf.Tensor1D[];
      let h: tf.Tensor2D = tf.tensor2d(x, [n, sizes[0]!]);
      for (let l = 0; l < ws.length; l++) {
        h = h.matMul(ws[l]!).add(bs[l]!);
        if (l < ws.length - 1) h = tf.relu(h);
      }
      const logp = tf.logSoftmax(h);
      const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(y, 3), logp), 1));
      let total = tf.mean(tf.mul(ce, tf.gather(tf.tensor1d(classWeights), y)));
      const danger = tf.gather(tf.tensor1d(Int32Array.from(DANGER), 'int32'), y);
      const pDanger = tf.sum(tf.mul(tf.oneHot(danger, 3), tf.exp(logp)), 1);
      total = total.add(tf.mean(pDanger).mul(options.dangerPenalty));
      for (const w of ws) total = total.add(tf.sum(tf.square(w)).mul(options.l2));
      return total as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(lossOf)([...tw, ...tb]);
    expect(loss).toBeCloseTo(value.dataSync()[0]!, 5);
    const expected = grads.map((g) => g.dataSync());
    const actual = [...gradient.gradWeights, ...gradient.gradBiases];
    for (let i = 0; i < expected.length; i++) expect(maxRelDiff(actual[i]!, expected[i]!)).toBeLessThan(1e-5);
    tf.dispose([...tw, ...tb, y, value, ...grads]);
  });

  it('Adam steps equal tfjs’s AdamOptimizer', async () => {
    await useWasmBackend();
    const random = seededRandom(5);
    const start = randomArray(20, random);
    const mine = Float32Array.from(start);
    const m1 = new Float64Array(20);
    const m2 = new Float64Array(20);
    const variable = tf.variable(tf.tensor1d(start));
    const optimizer = tf.train.adam(0.01);
    for (let t = 1; t <= 5; t++) {
      const g = randomArray(20, random);
      adamUpdate(mine, Float64Array.from(g), m1, m2, 0.01, t);
      const gt = tf.tensor1d(g);
      optimizer.applyGradients([{ name: variable.name, tensor: gt }]);
      gt.dispose();
    }
    expect(maxRelDiff(mine, variable.dataSync())).toBeLessThan(1e-6);
    variable.dispose();
    optimizer.dispose();
  });
});
