import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_SET } from '../../core/index.ts';
import { denseToOnnx } from '../../trainer/onnx-export.ts';
import { ParityError, checkParity, runOnnx } from '../../trainer/parity.ts';
import { fitStandardizer } from '../../trainer/standardize.ts';

const INFO = { model: 'logan', version: 'v4', algorithm: 'logistic', featureSet: FEATURE_SET };

function fixture() {
  const rows = 4;
  const x = Float32Array.from({ length: rows * FEATURE_COUNT }, (_, i) => (i % 7) - 3 + (i % 3) * 0.5);
  const standardizer = fitStandardizer(x, rows, FEATURE_COUNT);
  const weights = Float32Array.from({ length: FEATURE_COUNT * 3 }, (_, i) => ((i * 37) % 11) / 10 - 0.5);
  const model = denseToOnnx(INFO, standardizer, [
    { inputs: FEATURE_COUNT, outputs: 3, weights, bias: Float32Array.from([0.1, 0, -0.1]) },
  ]);
  return { rows, x, standardizer, weights, model };
}

describe('ONNX export', () => {
  it('has the contract input and output and computes softmax(((x - mean) / scale) · W + b)', async () => {
    const { rows, x, standardizer, weights, model } = fixture();
    const session = await ort.InferenceSession.create(model);
    expect(session.inputNames).toEqual(['features']);
    expect(session.outputNames).toEqual(['probabilities']);
    await session.release();
    const p = await runOnnx(model, x, rows);
    for (let r = 0; r < rows; r++) {
      const z = [0.1, 0, -0.1];
      for (let c = 0; c < FEATURE_COUNT; c++) {
        const s = (x[r * FEATURE_COUNT + c]! - standardizer.mean[c]!) / standardizer.scale[c]!;
        for (let j = 0; j < 3; j++) z[j]! += s * weights[c * 3 + j]!;
      }
      const e = z.map(Math.exp);
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < 3; j++) expect(p[r * 3 + j]).toBeCloseTo(e[j]! / sum, 5);
    }
  });

  it('the parity check fails, naming the row and class, when the models disagree', async () => {
    const { rows, x, model } = fixture();
    const p = await runOnnx(model, x, rows);
    expect((await checkParity(model, x, rows, p)).maxAbsDiff).toBe(0);
    const off = Float32Array.from(p);
    off[7] = off[7]! + 1e-3;
    const err = await checkParity(model, x, rows, off).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParityError);
    expect((err as Error).message).toMatch(
      /^ONNX parity check failed: max \|onnx − in-memory\| = 1\.000e-3 > 0\.00001 \(row 2, class paper/,
    );
  });
});
