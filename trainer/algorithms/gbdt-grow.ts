import type { GbdtHyperparameters } from '../hyperparameters.ts';
import type { TreeNode } from '../onnx-export.ts';

/**
 * Growing one gbdt tree (gbdt.ts): quantile bins per feature, the sparse (row, bin) entries the
 * histograms are built from, and depth-first growth with histogram subtraction.
 */

interface Binned {
  /** cut points per feature: bin b holds cuts[b-1] <= x < cuts[b] */
  cuts: Float32Array[];
  /** row-major bin index per (row, feature) */
  bins: Uint8Array;
}

/** Quantile cut points per feature, as float32 so `x < cut` means the same here and in ONNX. */
export function binFeatures(x: Float32Array, rows: number, cols: number, maxBins: number): Binned {
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
  return { cuts, bins: binRows(x, rows, cols, cuts) };
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
export type GrowNode = TreeNode & { bin?: number };

/** A grown tree as arrays (node n: split on feature[n] at bin[n], or a leaf when left[n] < 0). */
export interface FlatTree {
  feature: Int32Array;
  bin: Int32Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

export function flatten(nodes: readonly GrowNode[]): FlatTree {
  const n = nodes.length;
  const tree: FlatTree = {
    feature: new Int32Array(n),
    bin: new Int32Array(n),
    left: new Int32Array(n).fill(-1),
    right: new Int32Array(n).fill(-1),
    value: new Float64Array(n),
  };
  nodes.forEach((node, i) => {
    if (node.leaf) {
      tree.value[i] = node.value;
    } else {
      tree.feature[i] = node.feature;
      tree.bin[i] = node.bin!;
      tree.left[i] = node.left;
      tree.right[i] = node.right;
    }
  });
  return tree;
}

/**
 * The value of the leaf each binned row (row-major bins, cols per row) ends in, into out. Rows
 * marked in `known` (the rows the tree was grown on) hold their value in out already.
 */
export function leavesOf(
  tree: FlatTree,
  bins: Uint8Array,
  rows: number,
  cols: number,
  out: Float64Array,
  known?: Uint8Array,
): void {
  const { feature, bin, left, right, value } = tree;
  for (let r = 0; r < rows; r++) {
    if (known && known[r]) continue;
    const o = r * cols;
    let n = 0;
    while (left[n]! >= 0) n = bins[o + feature[n]!]! < bin[n]! ? left[n]! : right[n]!;
    out[r] = value[n]!;
  }
}

/** Rows binned with the training rows' cuts: bin < b exactly when x < cuts[b - 1]. */
export function binRows(
  x: Float32Array,
  rows: number,
  cols: number,
  cuts: readonly Float32Array[],
): Uint8Array {
  const bins = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) bins[r * cols + c] = binOf(cuts[c]!, x[r * cols + c]!);
  }
  return bins;
}

/**
 * The binned training rows in the shape the histogram loop wants. Per feature, the bin most rows
 * fall in is its default bin; every row lists only its other (feature, bin) entries, as offsets
 * into a histogram. A node's histogram adds those entries up and fills each default bin with the
 * node's total minus the feature's other bins: for one-hot features most entries are defaults.
 */
export interface SparseBins {
  /** entries of row r: entries[rowStart[r] .. rowStart[r + 1]) */
  rowStart: Int32Array;
  /**
   * 2 × (feature × stride + bin): the gradient slot of that bin (the hessian slot follows); 16 bits
   * when every slot fits (half the memory the histogram loops stream through)
   */
  entries: Uint16Array | Int32Array;
  defaultBin: Int32Array;
}

export function sparseBins(binned: Binned, rows: number, cols: number, stride: number): SparseBins {
  const { bins, cuts } = binned;
  const defaultBin = new Int32Array(cols);
  const counts = new Int32Array(stride);
  let total = 0;
  for (let c = 0; c < cols; c++) {
    counts.fill(0);
    for (let r = 0; r < rows; r++) counts[bins[r * cols + c]!]!++;
    let best = 0;
    for (let b = 1; b <= cuts[c]!.length; b++) if (counts[b]! > counts[best]!) best = b;
    defaultBin[c] = best;
    total += rows - counts[best]!;
  }
  const rowStart = new Int32Array(rows + 1);
  const entries = 2 * cols * stride <= 0x10000 ? new Uint16Array(total) : new Int32Array(total);
  let e = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = e;
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const b = bins[o + c]!;
      if (b !== defaultBin[c]) entries[e++] = 2 * (c * stride + b);
    }
  }
  rowStart[rows] = e;
  return { rowStart, entries, defaultBin };
}

/** What every tree of a training run shares. */
export interface GrowBase {
  bins: Uint8Array;
  /** the same bins column by column (feature c of row r at c × rows + r), for partitioning */
  columns: Uint8Array;
  rows: number;
  cuts: Float32Array[];
  cols: number;
  sparse: SparseBins;
  hp: GbdtHyperparameters;
  /** one histogram per depth ([gradient, hessian] per feature × stride + bin), reused by every tree */
  hists: Float64Array[];
  stride: number;
  /** three classes' root histograms interleaved per bin (buildRootHistograms) */
  joint: Float64Array;
  /** where a two-class pass puts its unused third histogram */
  spareHist: Float64Array;
}

interface GrowContext extends GrowBase {
  grad: Float64Array;
  hess: Float64Array;
  features: number[];
}

/** The histogram of the rows order[lo .. hi) (gradient and hessian sums G and H) into hist. */
function buildHistogram(
  ctx: GrowContext,
  order: Int32Array,
  lo: number,
  hi: number,
  G: number,
  H: number,
  hist: Float64Array,
): void {
  const { grad, hess } = ctx;
  const { rowStart, entries } = ctx.sparse;
  hist.fill(0);
  for (let i = lo; i < hi; i++) {
    const r = order[i]!;
    const g = grad[r]!;
    const h = hess[r]!;
    const end = rowStart[r + 1]!;
    for (let e = rowStart[r]!; e < end; e++) {
      const a = entries[e]!;
      hist[a] = hist[a]! + g;
      hist[a + 1] = hist[a + 1]! + h;
    }
  }
  fillDefaultBins(ctx, G, H, hist);
}

/**
 * The root histograms of every class's tree in one pass over the rows: the trees of a round share
 * the sampled rows, so each row's entries are read once for all of them.
 */
export function buildRootHistograms(
  base: GrowBase,
  rows: Int32Array,
  grads: readonly Float64Array[],
  hesss: readonly Float64Array[],
  totals: readonly (readonly [number, number])[],
  hists: readonly Float64Array[],
): void {
  const { rowStart, entries } = base.sparse;
  if (grads.length === 2) {
    // one pass for two classes too: the second class's sums are also made in the third place
    const spare = [grads[1]!, hesss[1]!, totals[1]!, base.spareHist] as const;
    buildRootHistograms(
      base,
      rows,
      [...grads, spare[0]],
      [...hesss, spare[1]],
      [...totals, spare[2]],
      [...hists, spare[3]],
    );
    return;
  }
  if (grads.length !== 3) {
    for (let j = 0; j < grads.length; j++) {
      const ctx = { ...base, grad: grads[j]!, hess: hesss[j]!, features: [] };
      buildHistogram(ctx, rows, 0, rows.length, totals[j]![0], totals[j]![1], hists[j]!);
    }
    return;
  }
  const [g0s, g1s, g2s] = grads as [Float64Array, Float64Array, Float64Array];
  const [h0s, h1s, h2s] = hesss as [Float64Array, Float64Array, Float64Array];
  const [t0, t1, t2] = hists as [Float64Array, Float64Array, Float64Array];
  // the three classes' sums side by side, so a row's entry touches one place; then spread out
  const joint = base.joint;
  joint.fill(0);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const g0 = g0s[r]!;
    const h0 = h0s[r]!;
    const g1 = g1s[r]!;
    const h1 = h1s[r]!;
    const g2 = g2s[r]!;
    const h2 = h2s[r]!;
    const end = rowStart[r + 1]!;
    for (let e = rowStart[r]!; e < end; e++) {
      const a = 3 * entries[e]!;
      joint[a] = joint[a]! + g0;
      joint[a + 1] = joint[a + 1]! + h0;
      joint[a + 2] = joint[a + 2]! + g1;
      joint[a + 3] = joint[a + 3]! + h1;
      joint[a + 4] = joint[a + 4]! + g2;
      joint[a + 5] = joint[a + 5]! + h2;
    }
  }
  for (let a = 0; a < t0.length; a += 2) {
    const x = 3 * a;
    t0[a] = joint[x]!;
    t0[a + 1] = joint[x + 1]!;
    t1[a] = joint[x + 2]!;
    t1[a + 1] = joint[x + 3]!;
    t2[a] = joint[x + 4]!;
    t2[a + 1] = joint[x + 5]!;
  }
  for (let j = 0; j < 3; j++) fillDefaultBins(base, totals[j]![0], totals[j]![1], hists[j]!);
}

/** Each feature's default bin holds the node's totals minus the feature's other bins. */
function fillDefaultBins(base: GrowBase, G: number, H: number, hist: Float64Array): void {
  const { cols, cuts, stride } = base;
  const { defaultBin } = base.sparse;
  for (let c = 0; c < cols; c++) {
    const from = 2 * c * stride;
    const to = from + 2 * (cuts[c]!.length + 1);
    let g = 0;
    let h = 0;
    for (let a = from; a < to; a += 2) {
      g += hist[a]!;
      h += hist[a + 1]!;
    }
    const d = from + 2 * defaultBin[c]!;
    hist[d] = G - g;
    hist[d + 1] = Math.max(0, H - h);
  }
}

/** A node may split if it is above the maximum depth, has 2 rows and enough hessian for 2 children. */
function maySplit(hp: GbdtHyperparameters, depth: number, rows: number, H: number): boolean {
  return depth < hp.depth && rows >= 2 && H >= 2 * hp.minChildWeight;
}

/** The gradient and hessian sums of the rows order[lo .. hi). */
export function sumsOf(ctx: GrowContext, order: Int32Array, lo: number, hi: number): [number, number] {
  let G = 0;
  let H = 0;
  for (let i = lo; i < hi; i++) {
    G += ctx.grad[order[i]!]!;
    H += ctx.hess[order[i]!]!;
  }
  return [G, H];
}

/**
 * Depth-first growth over one order of the sampled rows: a node owns the segment order[lo .. hi)
 * and a split partitions it in place (left rows first, each side in its old order). Only a node
 * that may split needs its histogram: the smaller child's is built from its rows, the larger
 * child's is the parent's minus the smaller one's (in the parent's buffer), so each level reads at
 * most half of the node's rows. The root's histogram comes built (see buildRootHistograms).
 */
export function growTree(
  ctx: GrowContext,
  rows: Int32Array,
  rootHist: Float64Array,
  rootSums: [number, number],
  /** receives, for every row of `rows`, the value of the leaf it ends in */
  rowLeaf: Float64Array,
): GrowNode[] {
  const nodes: GrowNode[] = [];
  const { hp, grad, hess, columns, features, cuts, stride, hists } = ctx;
  const order = Int32Array.from(rows);
  const spill = new Int32Array(rows.length);
  const build = (
    lo: number,
    hi: number,
    depth: number,
    G: number,
    H: number,
    hist: Float64Array | null,
  ): number => {
    const id = nodes.length;
    const leafValue = Math.fround((-G / (H + hp.lambda)) * hp.eta);
    nodes.push({ leaf: true, value: leafValue });
    const leaf = (): number => {
      for (let i = lo; i < hi; i++) rowLeaf[order[i]!] = leafValue;
      return id;
    };
    if (!hist || !maySplit(hp, depth, hi - lo, H)) return leaf();
    const parentScore = (G * G) / (H + hp.lambda);
    let bestGain = 0;
    let bestFeature = -1;
    let bestBin = 0;
    for (const c of features) {
      const cutCount = cuts[c]!.length;
      const from = 2 * c * stride;
      let GL = 0;
      let HL = 0;
      for (let b = 1; b <= cutCount; b++) {
        GL += hist[from + 2 * (b - 1)]!;
        HL += hist[from + 2 * (b - 1) + 1]!;
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
    if (bestFeature < 0) return leaf();
    // partition in place: left rows move forward, right rows wait in spill
    const column = columns.subarray(bestFeature * ctx.rows, (bestFeature + 1) * ctx.rows);
    let nLeft = 0;
    let nRight = 0;
    let GLeft = 0;
    let HLeft = 0;
    let GRight = 0;
    let HRight = 0;
    for (let i = lo; i < hi; i++) {
      const r = order[i]!;
      if (column[r]! < bestBin) {
        order[lo + nLeft++] = r;
        GLeft += grad[r]!;
        HLeft += hess[r]!;
      } else {
        spill[nRight++] = r;
        GRight += grad[r]!;
        HRight += hess[r]!;
      }
    }
    const mid = lo + nLeft;
    order.set(spill.subarray(0, nRight), mid);
    const splitLeft = maySplit(hp, depth + 1, nLeft, HLeft);
    const splitRight = maySplit(hp, depth + 1, nRight, HRight);
    let leftHist: Float64Array | null = null;
    let rightHist: Float64Array | null = null;
    if (splitLeft || splitRight) {
      const leftSmaller = nLeft <= nRight;
      const small = hists[depth + 1]!;
      if (leftSmaller) buildHistogram(ctx, order, lo, mid, GLeft, HLeft, small);
      else buildHistogram(ctx, order, mid, hi, GRight, HRight, small);
      const largeNeeded = leftSmaller ? splitRight : splitLeft;
      if (largeNeeded) for (let a = 0; a < hist.length; a++) hist[a] = hist[a]! - small[a]!;
      leftHist = leftSmaller ? small : largeNeeded ? hist : null;
      rightHist = leftSmaller ? (largeNeeded ? hist : null) : small;
    }
    const leftId = build(lo, mid, depth + 1, GLeft, HLeft, leftHist);
    const rightId = build(mid, hi, depth + 1, GRight, HRight, rightHist);
    nodes[id] = {
      leaf: false,
      feature: bestFeature,
      threshold: cuts[bestFeature]![bestBin - 1]!,
      bin: bestBin,
      left: leftId,
      right: rightId,
    };
    return id;
  };
  const [G, H] = rootSums;
  build(0, order.length, 0, G, H, maySplit(hp, 0, order.length, H) ? rootHist : null);
  return nodes;
}

export function stripBins(nodes: GrowNode[]): TreeNode[] {
  return nodes.map((n) =>
    n.leaf
      ? { leaf: true, value: n.value }
      : { leaf: false, feature: n.feature, threshold: n.threshold, left: n.left, right: n.right },
  );
}
