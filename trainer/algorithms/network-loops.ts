import { MOVES, beatenBy, moveIndex } from '../../core/index.ts';

/**
 * The plain-loop parts of the network training (network.ts): initialisation, the output layer,
 * the loss and its gradient, dropout, the ReLU derivative and Adam, on typed arrays.
 */

/** class index → index of the move that beats it (the move a bot must not counter) */
export const DANGER_INDEX = MOVES.map((m) => moveIndex(beatenBy(m)));

/** Adam's constants: those of tf.train.adam(learningRate) (β1, β2, the float32 backends' epsilon). */
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPSILON = 1e-7;

export function glorotUniform(inputs: number, outputs: number, random: () => number): Float32Array {
  const limit = Math.sqrt(6 / (inputs + outputs));
  const w = new Float32Array(inputs * outputs);
  for (let i = 0; i < w.length; i++) w[i] = (random() * 2 - 1) * limit;
  return w;
}

/** [rows, cols] row-major → [cols, rows] row-major. */
export function transpose(
  a: Float32Array,
  rows: number,
  cols: number,
  out = new Float32Array(rows * cols),
): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[o + c]!;
  }
  return out;
}

/**
 * The output layer in plain loops: logits[r, j] = a[r, ·] · w[·, j] + bias[j], with wT the
 * transposed weights ([outputs, inputs]), so each logit is one contiguous dot product.
 */
export function denseJs(
  a: Float32Array,
  n: number,
  m: number,
  wT: Float32Array,
  bias: Float32Array,
  out: Float64Array,
): void {
  const p = bias.length;
  for (let r = 0; r < n; r++) {
    const ar = r * m;
    for (let j = 0; j < p; j++) {
      out[r * p + j] = bias[j]! + dot(a, ar, wT, j * m, m);
    }
  }
}

/** Σ a[ao + i] · b[bo + i] over i < m, four running sums (what lets the loop run fast in V8). */
export function dot(
  a: Float32Array | Float64Array,
  ao: number,
  b: Float32Array | Float64Array,
  bo: number,
  m: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    s0 += a[ao + i]! * b[bo + i]!;
    s1 += a[ao + i + 1]! * b[bo + i + 1]!;
    s2 += a[ao + i + 2]! * b[bo + i + 2]!;
    s3 += a[ao + i + 3]! * b[bo + i + 3]!;
  }
  for (; i < m; i++) s0 += a[ao + i]! * b[bo + i]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * Softmax of the logits into probs, and the batch loss: mean of classWeight[y] × −log p(y), plus
 * dangerPenalty × mean p(move that beats y). Its gradient with respect to the logits goes to dLogits.
 */
export function lossGradient(
  logits: Float64Array,
  probs: Float64Array,
  dLogits: Float64Array,
  n: number,
  k: number,
  labels: Uint8Array,
  classWeights: readonly number[],
  dangerPenalty: number,
): number {
  let loss = 0;
  let danger = 0;
  for (let r = 0; r < n; r++) {
    const o = r * k;
    softmaxRow(logits, o, k, probs);
    const y = labels[r]!;
    const w = classWeights[y]!;
    loss -= w * Math.log(probs[o + y]!);
    const dI = DANGER_INDEX[y]!;
    const pd = probs[o + dI]!;
    danger += pd;
    for (let j = 0; j < k; j++) {
      const p = probs[o + j]!;
      let g = (w * (p - (j === y ? 1 : 0))) / n;
      if (dangerPenalty > 0) g += (dangerPenalty * pd * ((j === dI ? 1 : 0) - p)) / n;
      dLogits[o + j] = g;
    }
  }
  return loss / n + (dangerPenalty > 0 ? (dangerPenalty * danger) / n : 0);
}

/** One Adam step (step number t, from 1) on v, as tfjs's AdamOptimizer computes it. */
export function adamUpdate(
  v: Float32Array,
  g: Float64Array,
  m1: Float64Array,
  m2: Float64Array,
  lr: number,
  t: number,
): void {
  const c1 = 1 - ADAM_BETA1 ** t;
  const c2 = 1 - ADAM_BETA2 ** t;
  for (let i = 0; i < v.length; i++) {
    const gi = g[i]!;
    const a1 = ADAM_BETA1 * m1[i]! + (1 - ADAM_BETA1) * gi;
    const a2 = ADAM_BETA2 * m2[i]! + (1 - ADAM_BETA2) * gi * gi;
    m1[i] = a1;
    m2[i] = a2;
    v[i] = v[i]! - (lr * (a1 / c1)) / (Math.sqrt(a2 / c2) + ADAM_EPSILON);
  }
}

/**
 * Gradients of the output layer (logits = a · w + bias) from d loss / d logits: into gWT (the
 * transposed weight gradient, [outputs, inputs]) and gB, and d loss / d a into dA unless it is
 * null. wT are the transposed weights.
 */
export function outputGradients(
  a: Float32Array,
  n: number,
  m: number,
  k: number,
  dLogits: Float64Array,
  wT: Float32Array,
  gWT: Float64Array,
  gB: Float64Array,
  dA: Float32Array | null,
): void {
  gWT.fill(0);
  gB.fill(0);
  if (dA) dA.fill(0, 0, n * m);
  for (let r = 0; r < n; r++) {
    const ar = r * m;
    for (let j = 0; j < k; j++) {
      const g = dLogits[r * k + j]!;
      gB[j]! += g;
      const wj = j * m;
      for (let i = 0; i < m; i++) gWT[wj + i]! += a[ar + i]! * g;
      if (dA) for (let i = 0; i < m; i++) dA[ar + i]! += g * wT[wj + i]!;
    }
  }
}

/** Softmax of logits[o .. o + k) into out[o .. o + k). */
export function softmaxRow(
  logits: Float64Array,
  o: number,
  k: number,
  out: Float32Array | Float64Array,
): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, logits[o + j]!);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(logits[o + j]! - max);
  for (let j = 0; j < k; j++) out[o + j] = Math.exp(logits[o + j]! - max) / sum;
}

/**
 * Dropout after ReLU: out = h / (1 − rate) where u ≥ rate, else 0 (u null: no dropout), in
 * float32 as tfjs computes it; d = d out / d (pre-activation), the ReLU derivative times the mask.
 */
export function dropout(
  h: Float32Array,
  u: Float32Array | null,
  rate32: number,
  keep32: number,
  count: number,
  out: Float32Array,
  d: Float32Array,
): void {
  if (!u) {
    for (let i = 0; i < count; i++) {
      const v = h[i]!;
      out[i] = v;
      d[i] = v > 0 ? 1 : 0;
    }
    return;
  }
  const scale = 1 / keep32;
  for (let i = 0; i < count; i++) {
    const v = h[i]!;
    const keep = u[i]! >= rate32;
    out[i] = keep ? Math.fround(v / keep32) : 0;
    d[i] = keep && v > 0 ? scale : 0;
  }
}

/** dZ ← dZ ⊙ d (through ReLU and dropout), and the bias gradient: dZ's column sums. */
export function backThroughActivation(
  dZ: Float32Array,
  d: Float32Array,
  n: number,
  units: number,
  gb: Float64Array,
): void {
  gb.fill(0);
  for (let r = 0; r < n; r++) {
    const o = r * units;
    for (let j = 0; j < units; j++) {
      const g = dZ[o + j]! * d[o + j]!;
      dZ[o + j] = g;
      gb[j]! += g;
    }
  }
}
