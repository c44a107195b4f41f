import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  FEATURE_COUNT,
  FEATURE_SET,
  V2_IGNORED_GROUPS,
  beatenBy,
  coldStartCorpus,
  featureSet,
  moveIndex,
  MOVES,
  seededRandom,
  v2Columns,
} from '../../core/index.ts';
import { resolveHyperparameters } from '../../trainer/hyperparameters.ts';
import { evaluate, majorityClass } from '../../trainer/metrics.ts';
import { checkParity, runOnnx } from '../../trainer/parity.ts';
import { buildDataset } from '../../trainer/dataset.ts';
import { splitRows, trainAlgorithm } from '../../trainer/train.ts';
import type { Rows } from '../../trainer/split.ts';
import { asDatasetGames, repeaterGames } from './trainer-fixtures.ts';

// Small configurations so each algorithm trains in well under a second on ~500 rows.
const FAST = {
  mlp: { hiddenUnits: [16], epochs: 40, patience: 40, learningRate: 0.01, dropout: 0 },
  logistic: { epochs: 60, patience: 60, learningRate: 0.05 },
  gbdt: { trees: 20, depth: 3, eta: 0.3, subsample: 1, colsample: 1, earlyStoppingRounds: 20 },
} as const;

const { rows } = splitRows(asDatasetGames(repeaterGames(60, 7)), featureSet(FEATURE_SET));

function dangerShare(p: Float32Array, y: Uint8Array, n: number): number {
  let sum = 0;
  for (let r = 0; r < n; r++) sum += p[r * 3 + moveIndex(beatenBy(MOVES[y[r]!]!))]!;
  return sum / n;
}

describe.each(['mlp', 'logistic', 'gbdt'] as const)('%s', (algorithm) => {
  it('learns a player who always repeats, and its ONNX export agrees with it', async () => {
    const hp = resolveHyperparameters(algorithm, FAST[algorithm]);
    const model = await trainAlgorithm(algorithm, hp, rows.train, rows.validation, 1);
    const p = await model.predict(rows.test.x, rows.test.rows);
    const metrics = evaluate(p, rows.test.y, rows.test.rows, majorityClass(rows.train.y, rows.train.rows));
    expect(metrics.accuracy).toBeGreaterThan(0.95);
    expect(metrics.accuracy).toBeGreaterThan(metrics.baselineAccuracy + 0.3);

    const onnx = model.toOnnx({ model: 'brian', version: 'v1', algorithm, featureSet: FEATURE_SET });
    const parity = await checkParity(onnx, rows.test.x, rows.test.rows, p);
    expect(parity.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  });

  it('is reproducible from its seed', async () => {
    const hp = resolveHyperparameters(algorithm, {
      ...FAST[algorithm],
      ...(algorithm === 'gbdt' ? { subsample: 0.7 } : {}),
    });
    const small: Rows = {
      x: rows.train.x.subarray(0, 200 * FEATURE_COUNT),
      y: rows.train.y.subarray(0, 200),
      rows: 200,
    };
    const a = await trainAlgorithm(algorithm, hp, small, rows.validation, 3);
    const b = await trainAlgorithm(algorithm, hp, small, rows.validation, 3);
    expect(await a.predict(rows.test.x, 20)).toEqual(await b.predict(rows.test.x, 20));
  });
});

describe('exported models', () => {
  it('take raw features: the standardisation is inside the graph', async () => {
    const hp = resolveHyperparameters('logistic', FAST.logistic);
    const model = await trainAlgorithm('logistic', hp, rows.train, rows.validation, 1);
    const onnx = model.toOnnx({
      model: 'logan',
      version: 'v2',
      algorithm: 'logistic',
      featureSet: FEATURE_SET,
    });
    // one raw row from the test split: the served model must give the in-memory probabilities
    const x = rows.test.x.subarray(0, FEATURE_COUNT);
    const served = await runOnnx(onnx, x, 1);
    const inMemory = await model.predict(x, 1);
    for (let j = 0; j < 3; j++) expect(served[j]).toBeCloseTo(inMemory[j]!, 5);
    expect(served.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});

describe('columns a feature set does not read (rps-features/v2: the per-predictor evidence and scores)', () => {
  const v2 = featureSet('rps-features/v2');
  const v2Rows = splitRows(asDatasetGames(coldStartCorpus({ games: 90, seed: 3 })), v2).rows;

  it('are 0 in every training row and are the groups the set declares', () => {
    expect(v2.ignored).toEqual(v2Columns(V2_IGNORED_GROUPS));
    expect(v2.ignored).toHaveLength(76);
    expect(featureSet(FEATURE_SET).ignored).toEqual([]);
    for (let r = 0; r < v2Rows.train.rows; r++)
      for (const c of v2.ignored) expect(v2Rows.train.x[r * v2.count + c]).toBe(0);
    const read = v2Rows.train.x.filter((_, i) => !v2.ignored.includes(i % v2.count));
    expect(read.some((x) => x !== 0)).toBe(true);
  });

  it.each(['mlp', 'logistic', 'gbdt'] as const)(
    'are ignored by a trained %s model, in memory and exported, whatever the server feeds there',
    async (algorithm) => {
      const hp = resolveHyperparameters(algorithm, FAST[algorithm]);
      const model = await trainAlgorithm(algorithm, hp, v2Rows.train, v2Rows.validation, 1);
      const n = 30;
      const x = v2Rows.test.x.slice(0, n * v2.count);
      const noisy = x.slice();
      const random = seededRandom(9);
      for (let r = 0; r < n; r++) for (const c of v2.ignored) noisy[r * v2.count + c] = random() * 2 - 1;
      const onnx = model.toOnnx({ model: 'brian', version: 'v1', algorithm, featureSet: v2.name });
      const [a, b] = [await model.predict(x, n), await model.predict(noisy, n)];
      const [sa, sb] = [await runOnnx(onnx, x, n), await runOnnx(onnx, noisy, n)];
      for (let i = 0; i < n * 3; i++) {
        expect(b[i]).toBeCloseTo(a[i]!, 6);
        expect(sb[i]).toBeCloseTo(sa[i]!, 6);
      }
    },
  );
});

describe('tfjs memory', () => {
  it('training and predicting leave no tensors behind', async () => {
    const hp = resolveHyperparameters('mlp', { ...FAST.mlp, epochs: 3, dangerPenalty: 1 });
    const first = await trainAlgorithm('mlp', hp, rows.train, rows.validation, 1);
    await first.predict(rows.test.x, rows.test.rows);
    const before = tf.memory().numTensors;
    const model = await trainAlgorithm('mlp', hp, rows.train, rows.validation, 2);
    await model.predict(rows.test.x, rows.test.rows);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('dangerPenalty', () => {
  it('lowers the probability given to the move that beats the true move', async () => {
    const base = { epochs: 15, patience: 15, learningRate: 0.05 };
    const plain = await trainAlgorithm(
      'logistic',
      resolveHyperparameters('logistic', base),
      rows.train,
      rows.validation,
      1,
    );
    const careful = await trainAlgorithm(
      'logistic',
      resolveHyperparameters('logistic', { ...base, dangerPenalty: 5 }),
      rows.train,
      rows.validation,
      1,
    );
    const t = rows.train;
    const pPlain = await plain.predict(t.x, t.rows);
    const pCareful = await careful.predict(t.x, t.rows);
    expect(dangerShare(pCareful, t.y, t.rows)).toBeLessThan(dangerShare(pPlain, t.y, t.rows));
  });
});

describe('quality on the seeded cold-start corpus (eight synthetic players, ~5,000 rounds)', () => {
  const corpus = splitRows(
    buildDataset([], {
      maxEvents: 5000,
      minTotalEvents: 5000,
      syntheticStride: 1,
      bootstrapGames: 1000,
      seed: 1,
    }).games,
  ).rows;

  it.each(['mlp', 'logistic', 'gbdt'] as const)(
    '%s with its default hyperparameters beats the majority-class baseline by at least 10 points',
    async (algorithm) => {
      const model = await trainAlgorithm(
        algorithm,
        resolveHyperparameters(algorithm, {}),
        corpus.train,
        corpus.validation,
        1,
      );
      const p = await model.predict(corpus.test.x, corpus.test.rows);
      const m = evaluate(
        p,
        corpus.test.y,
        corpus.test.rows,
        majorityClass(corpus.train.y, corpus.train.rows),
      );
      expect(m.accuracy).toBeGreaterThanOrEqual(m.baselineAccuracy + 0.1);
    },
  );
});
