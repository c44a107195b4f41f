import { MOVES } from '../../core/index.ts';
import type { GbdtHyperparameters } from '../config.ts';
import { treesToOnnx, type ClassTree, type TreeNode } from '../onnx-export.ts';
import { featureCountOf, type Rows } from '../split.ts';
import type { ProgressLog, TrainedModel } from './trained-model.ts';

/**
 * Gradient-boosted trees, XGBoost style: softmax objective with one regression tree per class
 * per round (gradient p − y, hessian p(1 − p)), depth-wise growth with histogram split finding
 * over per-feature quantile bins, shrinkage, row/column subsampling, L2 on leaf weights,
 * min child weight, and early stopping on the validation log loss (the best round is kept).
 * Trees split on raw features (`x < threshold`), so no scaling is needed at serving time.
 */
export interface GbdtModel {
  classes: number;
  baseMargins: number[];
  trees: ClassTree[];
}

export interface GbdtProgress {
  round: number;
  trainLogLoss: number;
  validLogLoss: number;
  validAccuracy: number;
}

export interface GbdtResult {
  model: GbdtModel;
  rounds: number;
  bestRound: number;
  stoppedEarly: boolean;
}

interface Binned {
  /** cut points per feature: bin b holds cuts[b-1] <= x < cuts[b] */
  cuts: Float32Array[];
  /** row-major bin index per (row, feature) */
  bins: Uint8Array;
}

/** Quantile cut points per feature, as float32 so `x < cut` means the same here and in ONNX. */
function binFeatures(x: Float32Array, rows: number, cols: number, maxBins: number): Binned {
  const cuts: Float32Array[] = [];
  const column = new Float32Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) column[r] = x[r * cols + c]!;
    const sorted = Float32Array.from(column).sort();
    const unique: number[] = [];
    for (let i = 0; i < rows; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) unique.push(sorted[i]!);
    const candidates: number[] = [];
    if (unique.length <= maxBins) {
      for (let i = 1; i < unique.length; i++) candidates.push(Math.fround((unique[i - 1]! + unique[i]!) / 2));
    } else {
      for (let q = 1; q < maxBins; q++) candidates.push(sorted[Math.floor((q * rows) / maxBins)]!);
    }
    // strictly increasing, and every cut above the minimum so both sides can be non-empty
    const kept: number[] = [];
    for (const v of candidates) {
      if (v > unique[0]! && (kept.length === 0 || v > kept[kept.length - 1]!)) kept.push(v);
    }
    cuts.push(Float32Array.from(kept));
  }
  const bins = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) bins[r * cols + c] = binOf(cuts[c]!, x[r * cols + c]!);
  }
  return { cuts, bins };
}

/** The number of cuts <= v, i.e. the first b with v < cuts[b]. */
function binOf(cuts: Float32Array, v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v < cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Split nodes also remember their bin index, to route the binned training rows. */
type GrowNode = TreeNode & { bin?: number };

function softmaxInPlace(m: Float64Array, o: number, k: number): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, m[o + j]!);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const e = Math.exp(m[o + j]! - max);
    m[o + j] = e;
    sum += e;
  }
  for (let j = 0; j < k; j++) m[o + j] = m[o + j]! / sum;
}

function logLossAndAccuracy(margins: Float64Array, y: Uint8Array, rows: number, k: number) {
  const p = new Float64Array(k);
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) p[j] = margins[r * k + j]!;
    softmaxInPlace(p, 0, k);
    let best = 0;
    for (let j = 1; j < k; j++) if (p[j]! > p[best]!) best = j;
    if (best === y[r]) correct++;
    loss -= Math.log(Math.max(p[y[r]!]!, 1e-15));
  }
  return { logLoss: rows ? loss / rows : 0, accuracy: rows ? correct / rows : 0 };
}

function leafOf(nodes: readonly TreeNode[], x: Float32Array, offset: number): number {
  let n = 0;
  for (;;) {
    const node = nodes[n]!;
    if (node.leaf) return node.value;
    n = x[offset + node.feature]! < node.threshold ? node.left : node.right;
  }
}

function leafOfBinned(nodes: readonly GrowNode[], bins: Uint8Array, offset: number): number {
  let n = 0;
  for (;;) {
    const node = nodes[n]!;
    if (node.leaf) return node.value;
    n = bins[offset + node.feature]! < node.bin! ? node.left : node.right;
  }
}

/** Raw margins (base + trees), float64 accumulation of the float32 leaf values. */
export function gbdtMargins(model: GbdtModel, x: Float32Array, rows: number, cols: number): Float64Array {
  const k = model.classes;
  const m = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) m[r * k + j] = model.baseMargins[j]!;
  for (const tree of model.trees) {
    for (let r = 0; r < rows; r++) m[r * k + tree.classIndex]! += leafOf(tree.nodes, x, r * cols);
  }
  return m;
}

export function predictGbdt(model: GbdtModel, x: Float32Array, rows: number, cols: number): Float32Array {
  const m = gbdtMargins(model, x, rows, cols);
  for (let r = 0; r < rows; r++) softmaxInPlace(m, r * model.classes, model.classes);
  return Float32Array.from(m);
}

interface GrowContext {
  bins: Uint8Array;
  cuts: Float32Array[];
  cols: number;
  grad: Float64Array;
  hess: Float64Array;
  features: number[];
  hp: GbdtHyperparameters;
  histG: Float64Array;
  histH: Float64Array;
  stride: number;
}

function growTree(ctx: GrowContext, rows: Int32Array): GrowNode[] {
  const nodes: GrowNode[] = [];
  const { hp } = ctx;
  const build = (idx: Int32Array, depth: number): number => {
    const id = nodes.length;
    nodes.push({ leaf: true, value: 0 });
    let G = 0;
    let H = 0;
    for (let i = 0; i < idx.length; i++) {
      G += ctx.grad[idx[i]!]!;
      H += ctx.hess[idx[i]!]!;
    }
    const leafValue = Math.fround((-G / (H + hp.lambda)) * hp.eta);
    if (depth >= hp.depth || idx.length < 2 || H < 2 * hp.minChildWeight) {
      nodes[id] = { leaf: true, value: leafValue };
      return id;
    }
    const { histG, histH, stride, bins, cols, features } = ctx;
    histG.fill(0);
    histH.fill(0);
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i]!;
      const g = ctx.grad[r]!;
      const h = ctx.hess[r]!;
      const o = r * cols;
      for (let f = 0; f < features.length; f++) {
        const c = features[f]!;
        const at = c * stride + bins[o + c]!;
        histG[at]! += g;
        histH[at]! += h;
      }
    }
    const parentScore = (G * G) / (H + hp.lambda);
    let bestGain = 0;
    let bestFeature = -1;
    let bestBin = 0;
    for (const c of features) {
      const cutCount = ctx.cuts[c]!.length;
      let GL = 0;
      let HL = 0;
      for (let b = 1; b <= cutCount; b++) {
        GL += histG[c * stride + b - 1]!;
        HL += histH[c * stride + b - 1]!;
        const GR = G - GL;
        const HR = H - HL;
        if (HL < hp.minChildWeight || HR < hp.minChildWeight) continue;
        const gain =
          0.5 * ((GL * GL) / (HL + hp.lambda) + (GR * GR) / (HR + hp.lambda) - parentScore) - hp.gamma;
        if (gain > bestGain + 1e-12) {
          bestGain = gain;
          bestFeature = c;
          bestBin = b;
        }
      }
    }
    if (bestFeature < 0) {
      nodes[id] = { leaf: true, value: leafValue };
      return id;
    }
    let nLeft = 0;
    for (let i = 0; i < idx.length; i++) if (bins[idx[i]! * cols + bestFeature]! < bestBin) nLeft++;
    const left = new Int32Array(nLeft);
    const right = new Int32Array(idx.length - nLeft);
    let li = 0;
    let ri = 0;
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i]!;
      if (bins[r * cols + bestFeature]! < bestBin) left[li++] = r;
      else right[ri++] = r;
    }
    const leftId = build(left, depth + 1);
    const rightId = build(right, depth + 1);
    nodes[id] = {
      leaf: false,
      feature: bestFeature,
      threshold: ctx.cuts[bestFeature]![bestBin - 1]!,
      bin: bestBin,
      left: leftId,
      right: rightId,
    };
    return id;
  };
  build(rows, 0);
  return nodes;
}

function stripBins(nodes: GrowNode[]): TreeNode[] {
  return nodes.map((n) =>
    n.leaf
      ? { leaf: true, value: n.value }
      : { leaf: false, feature: n.feature, threshold: n.threshold, left: n.left, right: n.right },
  );
}

export function trainGbdt(
  train: Rows,
  valid: Rows,
  cols: number,
  classes: number,
  hp: GbdtHyperparameters,
  random: () => number,
  onRound?: (p: GbdtProgress) => void,
): GbdtResult {
  const k = classes;
  const { cuts, bins } = binFeatures(train.x, train.rows, cols, hp.bins);
  const counts = new Array<number>(k).fill(1);
  for (let r = 0; r < train.rows; r++) counts[train.y[r]!]!++;
  const logPrior = counts.map((c) => Math.log(c / (train.rows + k)));
  const meanLog = logPrior.reduce((a, b) => a + b, 0) / k;
  const baseMargins = logPrior.map((v) => Math.fround(v - meanLog));

  const trainMargins = new Float64Array(train.rows * k);
  const validMargins = new Float64Array(valid.rows * k);
  for (let r = 0; r < train.rows; r++) for (let j = 0; j < k; j++) trainMargins[r * k + j] = baseMargins[j]!;
  for (let r = 0; r < valid.rows; r++) for (let j = 0; j < k; j++) validMargins[r * k + j] = baseMargins[j]!;

  const stride = hp.bins + 1;
  const ctxBase = {
    bins,
    cuts,
    cols,
    hp,
    histG: new Float64Array(cols * stride),
    histH: new Float64Array(cols * stride),
    stride,
  };
  const grads = Array.from({ length: k }, () => new Float64Array(train.rows));
  const hesss = Array.from({ length: k }, () => new Float64Array(train.rows));
  const prob = new Float64Array(k);
  const allFeatures = Array.from({ length: cols }, (_, c) => c);
  const featureCount = Math.max(1, Math.round(hp.colsample * cols));

  const trees: ClassTree[] = [];
  let bestLoss = Infinity;
  let bestRound = 0;
  let rounds = 0;
  let stoppedEarly = false;
  for (let round = 1; round <= hp.trees; round++) {
    rounds = round;
    for (let r = 0; r < train.rows; r++) {
      for (let j = 0; j < k; j++) prob[j] = trainMargins[r * k + j]!;
      softmaxInPlace(prob, 0, k);
      for (let j = 0; j < k; j++) {
        const p = prob[j]!;
        grads[j]![r] = p - (train.y[r] === j ? 1 : 0);
        hesss[j]![r] = Math.max(p * (1 - p), 1e-16);
      }
    }
    const sampled: number[] = [];
    for (let r = 0; r < train.rows; r++) if (hp.subsample >= 1 || random() < hp.subsample) sampled.push(r);
    const sample = Int32Array.from(sampled.length ? sampled : [0]);
    for (let j = 0; j < k; j++) {
      // partial Fisher–Yates: a fresh feature subset for every tree
      const pool = allFeatures.slice();
      for (let i = 0; i < featureCount; i++) {
        const s = i + Math.floor(random() * (cols - i));
        [pool[i], pool[s]] = [pool[s]!, pool[i]!];
      }
      const features = pool.slice(0, featureCount).sort((a, b) => a - b);
      const grown = growTree({ ...ctxBase, grad: grads[j]!, hess: hesss[j]!, features }, sample);
      for (let r = 0; r < train.rows; r++) trainMargins[r * k + j]! += leafOfBinned(grown, bins, r * cols);
      const nodes = stripBins(grown);
      for (let r = 0; r < valid.rows; r++) validMargins[r * k + j]! += leafOf(nodes, valid.x, r * cols);
      trees.push({ classIndex: j, nodes });
    }
    const v = logLossAndAccuracy(validMargins, valid.y, valid.rows, k);
    if (onRound) {
      const t = logLossAndAccuracy(trainMargins, train.y, train.rows, k);
      onRound({ round, trainLogLoss: t.logLoss, validLogLoss: v.logLoss, validAccuracy: v.accuracy });
    }
    if (valid.rows === 0 || v.logLoss < bestLoss - 1e-9) {
      bestLoss = v.logLoss;
      bestRound = round;
    } else if (round - bestRound >= hp.earlyStoppingRounds) {
      stoppedEarly = true;
      break;
    }
  }
  return {
    model: { classes: k, baseMargins, trees: trees.slice(0, bestRound * k) },
    rounds,
    bestRound,
    stoppedEarly,
  };
}

/** Progress is logged every this many rounds (and on the last one). */
const LOG_EVERY = 10;

export async function trainGbdtModel(
  train: Rows,
  valid: Rows,
  hp: GbdtHyperparameters,
  random: () => number,
  log?: ProgressLog,
): Promise<TrainedModel> {
  const featureCount = featureCountOf(train);
  const result = trainGbdt(train, valid, featureCount, MOVES.length, hp, random, (p) => {
    if (log && (p.round % LOG_EVERY === 0 || p.round === 1 || p.round === hp.trees))
      log({ msg: 'round', ...p });
  });
  const { model } = result;
  return {
    algorithm: 'gbdt',
    predict: async (x, rows) => predictGbdt(model, x, rows, featureCount),
    toOnnx: (info) => treesToOnnx(info, model.baseMargins, model.trees),
    training: {
      rounds: result.rounds,
      bestRound: result.bestRound,
      trees: model.trees.length,
      stoppedEarly: result.stoppedEarly,
    },
  };
}
