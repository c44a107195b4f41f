import * as ort from 'onnxruntime-node';
import { MOVES } from '../core/index.ts';
import { INPUT_NAME, OUTPUT_NAME } from './onnx-export.ts';

/** Largest allowed |ONNX − in-memory| over every probability of the checked rows. */
export const PARITY_TOLERANCE = 1e-5;

export class ParityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParityError';
  }
}

/** Runs an exported model in onnxruntime-node, as the app will: raw features in, probabilities out. */
export async function runOnnx(model: Uint8Array, x: Float32Array, rows: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  try {
    const features = rows > 0 ? x.length / rows : 0;
    const input = new ort.Tensor('float32', x.subarray(0, rows * features), [rows, features]);
    const out = await session.run({ [INPUT_NAME]: input });
    const probs = out[OUTPUT_NAME];
    if (!probs) throw new ParityError(`the ONNX model has no output "${OUTPUT_NAME}"`);
    if (probs.dims.length !== 2 || probs.dims[0] !== rows || probs.dims[1] !== MOVES.length) {
      throw new ParityError(
        `the ONNX output "${OUTPUT_NAME}" has shape [${probs.dims.join(', ')}], expected [${rows}, 3]`,
      );
    }
    return Float32Array.from(probs.data as Float32Array);
  } finally {
    await session.release();
  }
}

export interface ParityReport {
  rows: number;
  maxAbsDiff: number;
}

/**
 * The exported ONNX model and the in-memory model must agree on the given rows (the test split):
 * otherwise the app would serve something other than what was evaluated.
 */
export async function checkParity(
  model: Uint8Array,
  x: Float32Array,
  rows: number,
  expected: Float32Array,
): Promise<ParityReport> {
  if (rows === 0) throw new ParityError('parity check needs at least one row');
  const actual = await runOnnx(model, x, rows);
  let maxAbsDiff = 0;
  let worst = 0;
  for (let i = 0; i < rows * MOVES.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= maxAbsDiff)) {
      maxAbsDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
      worst = i;
    }
  }
  if (!(maxAbsDiff <= PARITY_TOLERANCE)) {
    const row = Math.floor(worst / MOVES.length);
    const cls = MOVES[worst % MOVES.length];
    throw new ParityError(
      `ONNX parity check failed: max |onnx − in-memory| = ${maxAbsDiff.toExponential(3)} > ${PARITY_TOLERANCE} ` +
        `(row ${row}, class ${cls}: onnx ${actual[worst]}, in-memory ${expected[worst]})`,
    );
  }
  return { rows, maxAbsDiff };
}
