import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/index.ts';
import { defaultLanes, trainGbdt, type GbdtResult } from '../../trainer/algorithms/gbdt.ts';
import { resolveHyperparameters } from '../../trainer/hyperparameters.ts';
import type { Rows } from '../../trainer/split.ts';

const COLS = 40;

/**
 * Rows shaped like the feature sets: one-hot blocks (mostly 0), shares on a coarse grid, a few
 * continuous features, two constant ones; the class depends on several of them, with noise.
 */
function mixedRows(n: number, seed: number): Rows {
  const random = seededRandom(seed);
  const x = new Float32Array(n * COLS);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const o = r * COLS;
    for (let block = 0; block < 4; block++) x[o + block * 3 + Math.floor(random() * 3)] = 1;
    for (let c = 12; c < 30; c++) x[o + c] = Math.round(random() * 10) / 10;
    for (let c = 30; c < 38; c++) x[o + c] = random() * 2 - 1;
    x[o + 38] = 0.5;
    x[o + 39] = 0;
    const score = x[o]! + x[o + 4]! * 0.8 + x[o + 12]! - x[o + 30]! * 0.5;
    y[r] = random() < 0.25 ? Math.floor(random() * 3) : score < 0.8 ? 0 : score < 1.6 ? 1 : 2;
  }
  return { x, y, rows: n };
}

function fingerprint(result: GbdtResult): string {
  return createHash('sha256').update(JSON.stringify(result)).digest('hex');
}

describe('gbdt training is a pure function of its inputs and seed', () => {
  // Speed-ups of the growth (histograms, partitions, threads) must not change one bit of a model:
  // this digest is of the trees grown before any of them, on rows and a seed fixed here.
  it.each([1, 2, 3])(
    'grows the same trees as the reference implementation on a fixed seed, %i lane(s)',
    async (lanes) => {
      const hp = resolveHyperparameters('gbdt', { trees: 40, earlyStoppingRounds: 5 });
      const result = await trainGbdt(mixedRows(3000, 11), mixedRows(800, 12), COLS, 3, hp, seededRandom(7), {
        lanes,
      });
      expect(result.model.trees.length).toBeGreaterThan(30);
      expect(fingerprint(result)).toBe('62d98ae22fe8bade72693970cc3ffe1a5f16358203dc95b1478436ab1b4d3130');
    },
  );

  it.each([1, 2])('and with deeper trees, more bins and smaller samples, %i lane(s)', async (lanes) => {
    const hp = resolveHyperparameters('gbdt', {
      trees: 15,
      depth: 7,
      bins: 64,
      subsample: 0.6,
      colsample: 0.5,
      minChildWeight: 0.5,
    });
    const result = await trainGbdt(mixedRows(2000, 13), mixedRows(500, 14), COLS, 3, hp, seededRandom(8), {
      lanes,
    });
    expect(fingerprint(result)).toBe('1a4f42b76b860fbab57b449a5fccae999087d12229040cfdaeee00b2d99a0d86');
  });

  it('uses a second thread only where a second core is free', () => {
    expect(defaultLanes(1, 0)).toBe(1);
    expect(defaultLanes(2, 0.3)).toBe(2);
    expect(defaultLanes(2, 1.2)).toBe(2);
    expect(defaultLanes(2, 1.6)).toBe(1);
    expect(defaultLanes(8, 3)).toBe(2);
  });

  it('refuses a lane count that is not a positive integer', async () => {
    const hp = resolveHyperparameters('gbdt', { trees: 1 });
    await expect(
      trainGbdt(mixedRows(50, 1), mixedRows(20, 2), COLS, 3, hp, seededRandom(1), { lanes: 0 }),
    ).rejects.toThrow('gbdt lanes=0: allowed is an integer >= 1');
  });
});
