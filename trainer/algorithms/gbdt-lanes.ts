import { Worker } from 'node:worker_threads';
import { moduleWorkerSource } from '../../lib/worker-source.ts';
import type { GbdtHyperparameters } from '../hyperparameters.ts';
import {
  buildRootHistograms,
  flatten,
  growTree,
  leavesOf,
  sumsOf,
  type GrowBase,
  type GrowNode,
  type SparseBins,
} from './gbdt-grow.ts';

/**
 * A boosting round's class trees grown side by side (gbdt.ts). The trees of a round depend only on
 * the margins before it, the sampled rows and each tree's features, so each lane (the calling
 * thread and up to classes − 1 worker threads) takes some classes and does all of their work after
 * the gradients: root histograms, growth, and the leaf every training and validation row ends in.
 * Everything the lanes share lives in SharedArrayBuffers; each lane has its own histograms. Every
 * sum is taken in the same order as on one thread, so the trees are the same whatever the lanes.
 */
export interface LaneData {
  classes: number;
  rows: number;
  cols: number;
  stride: number;
  hp: GbdtHyperparameters;
  cuts: Float32Array[];
  /** training rows' bins, row-major and column by column */
  bins: Uint8Array;
  columns: Uint8Array;
  sparse: SparseBins;
  validRows: number;
  validBins: Uint8Array;
  /** per class: the round's gradients and hessians, written before the lanes start */
  grads: Float64Array[];
  hesss: Float64Array[];
  /** the round's sampled rows (sample[0 .. sampleLength)) and a mark for each */
  sample: Int32Array;
  inSample: Uint8Array;
  /** per class: the value of the leaf each training / validation row ends in, this round */
  trainLeaf: Float64Array[];
  validLeaf: Float64Array[];
  /** one counter per lane, raised when its work of a round is written */
  done: Int32Array;
}

export interface LaneJob {
  classes: number[];
  sampleLength: number;
  /** features each class's tree may split on, ascending (in the order of `classes`) */
  features: number[][];
}

/** A typed array of the same kind and contents, in shared memory. */
export function shared<T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(a: T): T {
  const make = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new make(new SharedArrayBuffer(a.byteLength));
  copy.set(a as never);
  return copy;
}

/** A lane's own buffers: one histogram per depth, the root histograms and their joint pass. */
export function laneBase(data: LaneData): GrowBase {
  const size = 2 * data.cols * data.stride;
  return {
    bins: data.bins,
    columns: data.columns,
    rows: data.rows,
    cuts: data.cuts,
    cols: data.cols,
    sparse: data.sparse,
    hp: data.hp,
    hists: Array.from({ length: data.hp.depth + 1 }, () => new Float64Array(size)),
    stride: data.stride,
    joint: new Float64Array(3 * size),
    spareHist: new Float64Array(size),
  };
}

/** One lane's work of a round; returns its classes' trees. */
export function runLane(data: LaneData, base: GrowBase, job: LaneJob, lane: number): GrowNode[][] {
  const { rows, grads, hesss } = data;
  const sample = data.sample.subarray(0, job.sampleLength);
  const ctxOf = (j: number, features: number[]) => ({ ...base, grad: grads[j]!, hess: hesss[j]!, features });
  const sums = job.classes.map((j) => sumsOf(ctxOf(j, []), sample, 0, sample.length));
  const rootHists = job.classes.map(() => new Float64Array(2 * data.cols * data.stride));
  const pick = <T>(all: readonly T[]) => job.classes.map((j) => all[j]!);
  buildRootHistograms(base, sample, pick(grads), pick(hesss), sums, rootHists);
  const trees = job.classes.map((j, i) => {
    const rowLeaf = data.trainLeaf[j]!;
    const grown = growTree(ctxOf(j, job.features[i]!), sample, rootHists[i]!, sums[i]!, rowLeaf);
    // the sampled rows' leaves are known from the growth; the others walk the tree
    const flat = flatten(grown);
    leavesOf(flat, data.bins, rows, data.cols, rowLeaf, data.inSample);
    leavesOf(flat, data.validBins, data.validRows, data.cols, data.validLeaf[j]!);
    return grown;
  });
  Atomics.add(data.done, lane, 1);
  return trees;
}

/** The calling thread's lane and the workers' lanes of one training run. */
export class GbdtLanes {
  private readonly base: GrowBase;
  private pending: { resolve: (t: GrowNode[][]) => void; reject: (e: Error) => void }[] = [];
  /** why a worker can take no more work, once it failed */
  private broken: (Error | undefined)[] = [];

  private constructor(
    private readonly data: LaneData,
    private readonly workers: Worker[],
  ) {
    this.base = laneBase(data);
    workers.forEach((worker, i) => {
      worker.on('message', (trees: GrowNode[][]) => {
        Atomics.load(data.done, i + 1);
        this.pending[i]?.resolve(trees);
      });
      const fail = (err: Error) => {
        this.broken[i] ??= err;
        this.pending[i]?.reject(err);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`gbdt lane thread ${i + 1} exited with code ${code}`)));
      worker.postMessage({ data, lane: i + 1 });
    });
  }

  /** Workers start loading at once; `start` gives them the data (lanes: 1 to classes). */
  static starter(lanes: number): (data: LaneData) => GbdtLanes {
    const workers = Array.from(
      { length: lanes - 1 },
      () => new Worker(moduleWorkerSource(import.meta.url, './gbdt-lane-worker'), { eval: true }),
    );
    return (data) => new GbdtLanes(data, workers);
  }

  /** Grows the round's trees, one per class; class j's lane is j mod lanes. */
  async grow(sampleLength: number, features: number[][]): Promise<GrowNode[][]> {
    const lanes = this.workers.length + 1;
    const jobOf = (lane: number): LaneJob => {
      const classes = features.map((_, j) => j).filter((j) => j % lanes === lane);
      return { classes, sampleLength, features: classes.map((j) => features[j]!) };
    };
    const replies = this.workers.map((worker, i) => {
      const job = jobOf(i + 1);
      return new Promise<GrowNode[][]>((resolve, reject) => {
        const broken = this.broken[i];
        if (broken) return reject(broken);
        this.pending[i] = { resolve, reject };
        worker.postMessage({ job });
      }).then((trees) => ({ job, trees }));
    });
    const own = jobOf(0);
    const results = [
      { job: own, trees: runLane(this.data, this.base, own, 0) },
      ...(await Promise.all(replies)),
    ];
    const trees: GrowNode[][] = [];
    for (const { job, trees: grown } of results) job.classes.forEach((j, i) => (trees[j] = grown[i]!));
    return trees;
  }

  async close(): Promise<void> {
    this.pending = [];
    this.broken = this.workers.map(() => new Error('gbdt lanes are closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Up to this many lanes by default: the calling thread and one worker. */
export const DEFAULT_LANES = 2;
