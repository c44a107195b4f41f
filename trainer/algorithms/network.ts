import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { MOVES, beatenBy, moveIndex } from '../../core/index.ts';
import type { DenseLayer } from '../onnx-export.ts';
import type { Rows } from '../split.ts';
import type { Standardizer } from '../standardize.ts';

/**
 * The tfjs (wasm backend) training loop shared by `mlp` and `logistic` (a network without hidden
 * layers): a dense softmax network on standardised features, Adam on mini-batches in a seeded
 * order, loss = weighted cross-entropy + dangerPenalty × mean p(move that beats the true move)
 * + l2 × Σ W², early stopping on the validation log loss with the best weights restored.
 */
export interface NetworkOptions {
  hiddenUnits: readonly number[];
  dropout: number;
  learningRate: number;
  batchSize: number;
  epochs: number;
  patience: number;
  l2: number;
  dangerPenalty: number;
  /** per-class loss weights, or null for 1 each */
  classWeights: readonly number[] | null;
}

export interface EpochProgress {
  epoch: number;
  loss: number;
  validLogLoss: number;
  validAccuracy: number;
}

export interface NetworkResult {
  layers: DenseLayer[];
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
}

let backendReady: Promise<void> | undefined;

/** Selects the wasm backend once per process (its .wasm binaries ship inside the npm package). */
export function useWasmBackend(): Promise<void> {
  backendReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(`${dist}${path.sep}`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend could not be initialised');
    await tf.ready();
  })();
  return backendReady;
}

/** class index → index of the move that beats it (the move a bot must not counter) */
const DANGER_INDEX = MOVES.map((m) => moveIndex(beatenBy(m)));

function glorotUniform(inputs: number, outputs: number, random: () => number): Float32Array {
  const limit = Math.sqrt(6 / (inputs + outputs));
  const w = new Float32Array(inputs * outputs);
  for (let i = 0; i < w.length; i++) w[i] = (random() * 2 - 1) * limit;
  return w;
}

function standardizeTensor(s: Standardizer, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => x.sub(tf.tensor1d(s.mean)).mul(tf.tensor1d(s.invScale)));
}

function forward(
  x: tf.Tensor2D,
  weights: readonly tf.Tensor2D[],
  biases: readonly tf.Tensor1D[],
  dropout?: { rate: number; seed: number },
): tf.Tensor2D {
  let h = x;
  for (let i = 0; i < weights.length; i++) {
    h = h.matMul(weights[i]!).add(biases[i]!);
    if (i < weights.length - 1) {
      h = tf.relu(h);
      if (dropout && dropout.rate > 0) {
        const keep = tf.randomUniform(h.shape, 0, 1, 'float32', dropout.seed + i).greaterEqual(dropout.rate);
        h = h.mul(keep.cast('float32')).div(1 - dropout.rate);
      }
    }
  }
  return h;
}

export async function trainNetwork(
  train: Rows,
  valid: Rows,
  cols: number,
  standardizer: Standardizer,
  options: NetworkOptions,
  random: () => number,
  onEpoch?: (p: EpochProgress) => void,
): Promise<NetworkResult> {
  await useWasmBackend();
  const k = MOVES.length;
  const sizes = [cols, ...options.hiddenUnits, k];
  const weights = sizes
    .slice(1)
    .map((out, i) =>
      tf.tidy(() => tf.variable(tf.tensor2d(glorotUniform(sizes[i]!, out, random), [sizes[i]!, out]))),
    );
  const biases = sizes.slice(1).map((out) => tf.tidy(() => tf.variable(tf.zeros([out]) as tf.Tensor1D)));
  const vars = [...weights, ...biases];
  const optimizer = tf.train.adam(options.learningRate);
  const dropSeedBase = Math.floor(random() * 1e9);

  const xTrain = tf.tidy(() =>
    standardizeTensor(standardizer, tf.tensor2d(train.x.subarray(0, train.rows * cols), [train.rows, cols])),
  );
  const yTrain = tf.tensor1d(Int32Array.from(train.y), 'int32');
  const xValid = tf.tidy(() =>
    standardizeTensor(standardizer, tf.tensor2d(valid.x.subarray(0, valid.rows * cols), [valid.rows, cols])),
  );
  const classWeights = tf.tensor1d(
    options.classWeights ? [...options.classWeights] : new Array<number>(k).fill(1),
  );
  const danger = tf.tensor1d(Int32Array.from(DANGER_INDEX), 'int32');

  const lossOf = (xb: tf.Tensor2D, yb: tf.Tensor1D, step: number): tf.Scalar => {
    const logits = forward(xb, weights, biases, { rate: options.dropout, seed: dropSeedBase + step * 16 });
    const logp = tf.logSoftmax(logits);
    const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(yb, k), logp), 1));
    const w = tf.gather(classWeights, yb);
    let loss = tf.mean(tf.mul(ce, w));
    if (options.dangerPenalty > 0) {
      const pDanger = tf.sum(tf.mul(tf.oneHot(tf.gather(danger, yb), k), tf.exp(logp)), 1);
      loss = loss.add(tf.mean(pDanger).mul(options.dangerPenalty));
    }
    if (options.l2 > 0) {
      for (const wv of weights) loss = loss.add(tf.sum(tf.square(wv)).mul(options.l2));
    }
    return loss as tf.Scalar;
  };

  const validate = (): { logLoss: number; accuracy: number } => {
    if (valid.rows === 0) return { logLoss: 0, accuracy: 0 };
    const probs = tf.tidy(() => tf.softmax(forward(xValid, weights, biases)));
    const p = probs.dataSync() as Float32Array;
    probs.dispose();
    let loss = 0;
    let correct = 0;
    for (let r = 0; r < valid.rows; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (p[r * k + j]! > p[r * k + best]!) best = j;
      if (best === valid.y[r]) correct++;
      loss -= Math.log(Math.max(p[r * k + valid.y[r]!]!, 1e-15));
    }
    return { logLoss: loss / valid.rows, accuracy: correct / valid.rows };
  };

  const snapshot = () => vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  let best = snapshot();
  let bestLoss = Infinity;
  let bestEpoch = 0;
  let epochs = 0;
  let step = 0;
  let stoppedEarly = false;
  const order = Int32Array.from({ length: train.rows }, (_, i) => i);
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      epochs = epoch;
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let lossSum = 0;
      for (let start = 0; start < train.rows; start += options.batchSize) {
        const idx = order.subarray(start, Math.min(start + options.batchSize, train.rows));
        const n = idx.length;
        const lossValue = tf.tidy(() => {
          const at = tf.tensor1d(idx, 'int32');
          const xb = tf.gather(xTrain, at);
          const yb = tf.gather(yTrain, at);
          return optimizer.minimize(() => lossOf(xb, yb, step), true, vars)!;
        });
        lossSum += (await lossValue.data())[0]! * n;
        lossValue.dispose();
        step++;
      }
      const v = validate();
      onEpoch?.({ epoch, loss: lossSum / train.rows, validLogLoss: v.logLoss, validAccuracy: v.accuracy });
      if (valid.rows === 0 || v.logLoss < bestLoss - 1e-7) {
        bestLoss = v.logLoss;
        bestEpoch = epoch;
        best = snapshot();
      } else if (epoch - bestEpoch >= options.patience) {
        stoppedEarly = true;
        break;
      }
    }
    const layers: DenseLayer[] = weights.map((_, i) => ({
      inputs: sizes[i]!,
      outputs: sizes[i + 1]!,
      weights: best[i]!,
      bias: best[weights.length + i]!,
    }));
    return { layers, epochs, bestEpoch, stoppedEarly };
  } finally {
    tf.dispose([xTrain, yTrain, xValid, classWeights, danger, ...vars]);
    optimizer.dispose();
  }
}

/** The trained network in tfjs, with the same float32 standardisation as the exported graph. */
export async function predictNetwork(
  standardizer: Standardizer,
  layers: readonly DenseLayer[],
  x: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  await useWasmBackend();
  const out = tf.tidy(() => {
    const w = layers.map((l) => tf.tensor2d(l.weights, [l.inputs, l.outputs]));
    const b = layers.map((l) => tf.tensor1d(l.bias));
    return tf.softmax(
      forward(standardizeTensor(standardizer, tf.tensor2d(x.subarray(0, rows * cols), [rows, cols])), w, b),
    );
  });
  const data = Float32Array.from((await out.data()) as Float32Array);
  out.dispose();
  return data;
}
