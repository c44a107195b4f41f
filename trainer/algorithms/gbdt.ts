import { availableParallelism, loadavg } from 'node:os';
import { MOVES } from '../../core/index.ts';
import type { GbdtHyperparameters } from '../hyperparameters.ts';
import { treesToOnnx, type ClassTree, type TreeNode } from '../onnx-export.ts';
import { binFeatures, binRows, sparseBins, stripBins } from './gbdt-grow.ts';
import { DEFAULT_LANES, GbdtLanes, shared, type LaneData } from './gbdt-lanes.ts';
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

export interface GbdtOptions {
  onRound?: (p: GbdtProgress) => void;
  /** onRound is called on round 1, every logEvery-th round and round hp.trees */
  logEvery?: number;
  /** threads growing a round's class trees side by side (at most one per class); the same trees */
  lanes?: number;
}

export async function trainGbdt(
  train: Rows,
  valid: Rows,
  cols: number,
  classes: number,
  hp: GbdtHyperparameters,
  random: () => number,
  { onRound, logEvery = 1, lanes = 1 }: GbdtOptions = {},
): Promise<GbdtResult> {
  const k = classes;
  if (!Number.isInteger(lanes) || lanes < 1)
    throw new Error(`gbdt lanes=${lanes}: allowed is an integer >= 1`);
  // the workers load while the rows are binned
  const startLanes = GbdtLanes.starter(Math.min(lanes, k));
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
  const columns = new Uint8Array(bins.length);
  for (let r = 0; r < train.rows; r++) {
    for (let c = 0; c < cols; c++) columns[c * train.rows + r] = bins[r * cols + c]!;
  }
  const sparse = sparseBins({ cuts, bins }, train.rows, cols, stride);
  const perClass = (n: number) => Array.from({ length: k }, () => shared(new Float64Array(n)));
  const data: LaneData = {
    classes: k,
    rows: train.rows,
    cols,
    stride,
    hp,
    cuts,
    bins: shared(bins),
    columns: shared(columns),
    sparse: {
      rowStart: shared(sparse.rowStart),
      entries: shared(sparse.entries),
      defaultBin: sparse.defaultBin,
    },
    validRows: valid.rows,
    validBins: shared(binRows(valid.x, valid.rows, cols, cuts)),
    grads: perClass(train.rows),
    hesss: perClass(train.rows),
    sample: shared(new Int32Array(Math.max(1, train.rows))),
    inSample: shared(new Uint8Array(train.rows)),
    trainLeaf: perClass(train.rows),
    validLeaf: perClass(valid.rows),
    done: shared(new Int32Array(lanes)),
  };
  const threads = startLanes(data);
  const { sample, inSample, grads, hesss } = data;
  const prob = new Float64Array(k);
  const allFeatures = Array.from({ length: cols }, (_, c) => c);
  const featureCount = Math.max(1, Math.round(hp.colsample * cols));

  const trees: ClassTree[] = [];
  let bestLoss = Infinity;
  let bestRound = 0;
  let rounds = 0;
  let stoppedEarly = false;
  try {
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
      let sampleLength = 0;
      for (let r = 0; r < train.rows; r++) {
        if (hp.subsample >= 1 || random() < hp.subsample) sample[sampleLength++] = r;
      }
      if (sampleLength === 0) sample[sampleLength++] = 0;
      inSample.fill(0);
      for (let i = 0; i < sampleLength; i++) inSample[sample[i]!] = 1;
      // partial Fisher–Yates: a fresh feature subset for every tree
      const features = Array.from({ length: k }, () => {
        const pool = allFeatures.slice();
        for (let i = 0; i < featureCount; i++) {
          const s = i + Math.floor(random() * (cols - i));
          [pool[i], pool[s]] = [pool[s]!, pool[i]!];
        }
        return pool.slice(0, featureCount).sort((a, b) => a - b);
      });
      const grown = await threads.grow(sampleLength, features);
      for (let j = 0; j < k; j++) {
        const trainLeaf = data.trainLeaf[j]!;
        const validLeaf = data.validLeaf[j]!;
        for (let r = 0; r < train.rows; r++) trainMargins[r * k + j]! += trainLeaf[r]!;
        for (let r = 0; r < valid.rows; r++) validMargins[r * k + j]! += validLeaf[r]!;
        trees.push({ classIndex: j, nodes: stripBins(grown[j]!) });
      }
      const v = logLossAndAccuracy(validMargins, valid.y, valid.rows, k);
      if (onRound && (round % logEvery === 0 || round === 1 || round === hp.trees)) {
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
  } finally {
    await threads.close();
  }
  return {
    model: { classes: k, baseMargins, trees: trees.slice(0, bestRound * k) },
    rounds,
    bestRound,
    stoppedEarly,
  };
}

/**
 * Two lanes where a second core is free at the start: at least 2 cores and a 1-minute load average
 * under cores − 0.5 (the trainer's own thread counts about 1). On a busy machine a second thread
 * only waits for its turn at every round's end and costs CPU; the trees are the same either way.
 */
export function defaultLanes(cores = availableParallelism(), load = loadavg()[0] ?? 0): number {
  return cores >= 2 && load < cores - 0.5 ? DEFAULT_LANES : 1;
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
  const result = await trainGbdt(train, valid, featureCount, MOVES.length, hp, random, {
    onRound: log && ((p) => log({ msg: 'round', ...p })),
    logEvery: LOG_EVERY,
    lanes: defaultLanes(),
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
