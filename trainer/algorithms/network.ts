import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { MOVES } from '../../core/index.ts';
import {
  adamUpdate,
  backThroughActivation,
  denseJs,
  dropout,
  glorotUniform,
  lossGradient,
  outputGradients,
  softmaxRow,
  transpose,
} from './network-loops.ts';
import type { DenseLayer } from '../onnx-export.ts';
import type { Rows } from '../split.ts';
import { standardize, type Standardizer } from '../standardize.ts';

/**
 * The training loop shared by `mlp` and `logistic` (a network without hidden layers): a dense
 * softmax network on standardised features, Adam (tfjs's constants) on mini-batches in a seeded
 * order, loss = weighted cross-entropy + dangerPenalty × mean p(move that beats the true move)
 * + l2 × Σ W², dropout after each hidden layer, early stopping on the validation log loss with the
 * best weights restored. Gradients are written out by hand; the hidden layers' matrix products run
 * in tfjs on the wasm backend, the rest in plain loops (see batchGradient).
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

export { adamUpdate } from './network-loops.ts';

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

function standardizeTensor(s: Standardizer, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => x.sub(tf.tensor1d(s.mean)).mul(tf.tensor1d(s.invScale)));
}

function forward(
  x: tf.Tensor2D,
  weights: readonly tf.Tensor2D[],
  biases: readonly tf.Tensor1D[],
): tf.Tensor2D {
  let h = x;
  for (let i = 0; i < weights.length; i++) {
    h = h.matMul(weights[i]!).add(biases[i]!);
    if (i < weights.length - 1) h = tf.relu(h);
  }
  return h;
}

/** The tensor's values, and the tensor disposed (tf.tidy would walk a returned typed array). */
function take(t: tf.Tensor): Float32Array {
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

/** `a · b` in tfjs (the wasm backend's matrix product), read back. a is [n, m], b is [m, p]. */
function matMulTf(a: Float32Array, n: number, m: number, b: Float32Array, p: number): Float32Array {
  return take(tf.tidy(() => tf.matMul(tf.tensor2d(a, [n, m]), tf.tensor2d(b, [m, p]))));
}

/** relu(a · w + bias) in tfjs, read back. */
function denseReluTf(
  a: Float32Array,
  n: number,
  m: number,
  w: Float32Array,
  bias: Float32Array,
): Float32Array {
  const p = bias.length;
  return take(
    tf.tidy(() =>
      tf.fused.matMul({
        a: tf.tensor2d(a, [n, m]),
        b: tf.tensor2d(w, [m, p]),
        bias: tf.tensor1d(bias),
        activation: 'relu',
      }),
    ),
  );
}

/**
 * Softmax probabilities of the current weights on standardised rows: tfjs for a network with
 * hidden layers, plain loops for a single layer (a few multiply-adds per row).
 */
function probabilities(
  weights: readonly Float32Array[],
  biases: readonly Float32Array[],
  sizes: readonly number[],
  x: Float32Array,
  rows: number,
): Float32Array {
  const k = sizes[sizes.length - 1]!;
  if (weights.length === 1) {
    const logits = new Float64Array(rows * k);
    denseJs(x, rows, sizes[0]!, transpose(weights[0]!, sizes[0]!, k), biases[0]!, logits);
    const p = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) softmaxRow(logits, r * k, k, p);
    return p;
  }
  return take(
    tf.tidy(() => {
      const w = weights.map((v, i) => tf.tensor2d(v, [sizes[i]!, sizes[i + 1]!]));
      const b = biases.map((v) => tf.tensor1d(v));
      return tf.softmax(forward(tf.tensor2d(x, [rows, sizes[0]!]), w, b));
    }),
  );
}

/** The gradient of the training loss on one batch, with its buffers (reused from batch to batch). */
export interface BatchGradient {
  /** the batch's standardised rows, [batch size, inputs]: filled by the caller */
  input: Float32Array;
  gradWeights: Float64Array[];
  gradBiases: Float64Array[];
  /**
   * Forward and backward pass on the first n rows of input with these labels: returns the loss
   * (weighted cross-entropy + dangerPenalty × mean p(move that beats the true move) + l2 × Σ W²)
   * and writes its gradient with respect to every weight and bias. step (from 0) seeds the
   * dropout masks.
   */
  run(
    weights: readonly Float32Array[],
    biases: readonly Float32Array[],
    labels: Uint8Array,
    n: number,
    step: number,
  ): number;
}

/**
 * The hidden layers' products run in tfjs (the wasm backend's matrix kernels, each an
 * untransposed `matMul`, its fast path); the output layer, the loss and its gradient, dropout
 * masks and ReLU derivatives in plain loops. Without hidden layers (logistic) tfjs is not called.
 */
export function batchGradient(
  sizes: readonly number[],
  batch: number,
  options: Pick<NetworkOptions, 'dropout' | 'l2' | 'dangerPenalty'>,
  classWeights: readonly number[],
  dropoutSeed: number,
): BatchGradient {
  const layerCount = sizes.length - 1;
  const hidden = layerCount - 1;
  const k = sizes[layerCount]!;
  const rate = options.dropout;
  // float32, as the tfjs kernels compare and divide
  const rate32 = Math.fround(rate);
  const keep32 = Math.fround(1 - rate);
  const gradWeights = sizes.slice(1).map((out, i) => new Float64Array(sizes[i]! * out));
  const gradBiases = sizes.slice(1).map((out) => new Float64Array(out));
  // per layer its input rows (the batch, then each hidden layer's ReLU output after dropout);
  // per hidden layer d(output)/d(pre-activation): ReLU derivative × dropout mask
  const inputs = sizes.slice(0, -1).map((m) => new Float32Array(batch * m));
  const derivative = sizes.slice(1, -1).map((m) => new Float32Array(batch * m));
  const logits = new Float64Array(batch * k);
  const probs = new Float64Array(batch * k);
  const dLogits = new Float64Array(batch * k);
  // the output layer's weights and weight gradient, transposed
  const outWT = new Float32Array(sizes[layerCount - 1]! * k);
  const outGradT = new Float64Array(outWT.length);
  // room for the transpose of a layer's input rows or of its weights
  const transposed = new Float32Array(
    Math.max(batch, ...sizes.slice(1, -1)) * Math.max(...sizes.slice(0, -1)),
  );
  // d loss / d (a hidden layer's output), for the layer being worked on
  const dOut = new Float32Array(batch * Math.max(1, ...sizes.slice(1, -1)));

  const run = (
    weights: readonly Float32Array[],
    biases: readonly Float32Array[],
    labels: Uint8Array,
    n: number,
    step: number,
  ): number => {
    // hidden layers: relu(a · W + b) in tfjs, then dropout; the ReLU-and-mask derivative is kept
    for (let l = 0; l < hidden; l++) {
      const m = sizes[l]!;
      const units = sizes[l + 1]!;
      const h = denseReluTf(inputs[l]!.subarray(0, n * m), n, m, weights[l]!, biases[l]!);
      // the uniform draws tfjs's own dropout used: one seed per step and layer
      const u =
        rate > 0 ? take(tf.randomUniform([n, units], 0, 1, 'float32', dropoutSeed + step * 16 + l)) : null;
      dropout(h, u, rate32, keep32, n * units, inputs[l + 1]!, derivative[l]!);
    }
    // output layer, loss and d loss / d logits
    const last = layerCount - 1;
    const m = sizes[last]!;
    const a = inputs[last]!;
    transpose(weights[last]!, m, k, outWT);
    denseJs(a, n, m, outWT, biases[last]!, logits);
    let loss = lossGradient(logits, probs, dLogits, n, k, labels, classWeights, options.dangerPenalty);
    // output layer gradients
    outputGradients(a, n, m, k, dLogits, outWT, outGradT, gradBiases[last]!, hidden > 0 ? dOut : null);
    const gOut = gradWeights[last]!;
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) gOut[i * k + j] = outGradT[j * m + i]!;
    // hidden layers, top down: dZ = dOut ⊙ derivative; dW = aᵀ · dZ and dA = dZ · Wᵀ in tfjs
    for (let l = hidden - 1; l >= 0; l--) {
      const mIn = sizes[l]!;
      const units = sizes[l + 1]!;
      const dZ = dOut.subarray(0, n * units);
      backThroughActivation(dZ, derivative[l]!, n, units, gradBiases[l]!);
      const aT = transpose(inputs[l]!, n, mIn, transposed);
      gradWeights[l]!.set(matMulTf(aT.subarray(0, n * mIn), mIn, n, dZ, units));
      if (l > 0) {
        const wT = transpose(weights[l]!, mIn, units, transposed);
        dOut.set(matMulTf(dZ, n, units, wT.subarray(0, mIn * units), mIn));
      }
    }
    if (options.l2 > 0) {
      for (let l = 0; l < layerCount; l++) {
        const w = weights[l]!;
        const g = gradWeights[l]!;
        let sq = 0;
        for (let i = 0; i < w.length; i++) {
          sq += w[i]! * w[i]!;
          g[i]! += 2 * options.l2 * w[i]!;
        }
        loss += options.l2 * sq;
      }
    }
    return loss;
  };
  return { input: inputs[0]!, gradWeights, gradBiases, run };
}

/**
 * Mini-batch Adam with the gradients written out by hand (batchGradient) and the Adam update in
 * plain loops: for the default mlp about 13 tfjs kernels per step, where tfjs's autodiff and
 * optimizer ran about 200, several of them transposed products off the wasm backend's fast path.
 */
export async function trainNetwork(
  train: Rows,
  valid: Rows,
  cols: number,
  standardizer: Standardizer,
  options: NetworkOptions,
  random: () => number,
  onEpoch?: (p: EpochProgress) => void,
): Promise<NetworkResult> {
  const k = MOVES.length;
  const sizes = [cols, ...options.hiddenUnits, k];
  const layerCount = sizes.length - 1;
  const hidden = layerCount - 1;
  if (hidden > 0) await useWasmBackend();
  const weights = sizes.slice(1).map((out, i) => glorotUniform(sizes[i]!, out, random));
  const biases = sizes.slice(1).map((out) => new Float32Array(out));
  const params = [...weights, ...biases];
  const firstMoment = params.map((v) => new Float64Array(v.length));
  const secondMoment = params.map((v) => new Float64Array(v.length));
  const dropoutSeed = Math.floor(random() * 1e9);

  const xTrain = standardize(standardizer, train.x, train.rows, cols);
  const xValid = standardize(standardizer, valid.x, valid.rows, cols);
  const classWeights = options.classWeights ? [...options.classWeights] : new Array<number>(k).fill(1);

  const batch = options.batchSize;
  const gradient = batchGradient(sizes, batch, options, classWeights, dropoutSeed);
  const { gradWeights, gradBiases } = gradient;
  const grads = [...gradWeights, ...gradBiases];
  const labels = new Uint8Array(batch);

  const validate = (): { logLoss: number; accuracy: number } => {
    if (valid.rows === 0) return { logLoss: 0, accuracy: 0 };
    const p = probabilities(weights, biases, sizes, xValid, valid.rows);
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

  /** One Adam step on the rows idx; returns the batch loss. */
  const step = (idx: Int32Array, t: number): number => {
    const n = idx.length;
    const x0 = gradient.input;
    for (let i = 0; i < n; i++) {
      const from = idx[i]! * cols;
      const to = i * cols;
      for (let c = 0; c < cols; c++) x0[to + c] = xTrain[from + c]!;
      labels[i] = train.y[idx[i]!]!;
    }
    const loss = gradient.run(weights, biases, labels, n, t - 1);
    for (let q = 0; q < params.length; q++) {
      adamUpdate(params[q]!, grads[q]!, firstMoment[q]!, secondMoment[q]!, options.learningRate, t);
    }
    return loss;
  };

  const snapshot = () => params.map((v) => Float32Array.from(v));
  let best = snapshot();
  let bestLoss = Infinity;
  let bestEpoch = 0;
  let epochs = 0;
  let t = 0;
  let stoppedEarly = false;
  const order = Int32Array.from({ length: train.rows }, (_, i) => i);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    epochs = epoch;
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let lossSum = 0;
    for (let start = 0; start < train.rows; start += batch) {
      const idx = order.subarray(start, Math.min(start + batch, train.rows));
      t++;
      lossSum += step(idx, t) * idx.length;
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
    bias: best[layerCount + i]!,
  }));
  return { layers, epochs, bestEpoch, stoppedEarly };
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
