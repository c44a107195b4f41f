/**
 * Per-feature standardisation fitted on the training rows. The exported models carry it as
 * `(x - mean) * invScale`, so the app feeds raw features; the in-memory models apply the very
 * same float32 operations, which keeps the ONNX parity check tight.
 */
export interface Standardizer {
  mean: Float32Array;
  /** standard deviation on the training rows (0 for a constant feature) */
  std: Float32Array;
  /** standard deviation, 1 where a feature is (nearly) constant on the training rows */
  scale: Float32Array;
  /**
   * 1 / scale, rounded to float32 once: the factor both the ONNX graph and tfjs multiply by; 0 for
   * a constant feature, which the model thus ignores
   */
  invScale: Float32Array;
}

const MIN_SCALE = 1e-6;

export function fitStandardizer(x: Float32Array, rows: number, cols: number): Standardizer {
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) mean[c]! += x[o + c]!;
  }
  for (let c = 0; c < cols; c++) mean[c] = rows ? mean[c]! / rows : 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const d = x[o + c]! - mean[c]!;
      sq[c]! += d * d;
    }
  }
  const std = new Float32Array(cols);
  const scale = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    std[c] = rows ? Math.sqrt(sq[c]! / rows) : 0;
    scale[c] = std[c]! < MIN_SCALE ? 1 : std[c]!;
  }
  // a constant column taught the model nothing: the model ignores it (factor 0), whatever it is fed
  const invScale = new Float32Array(cols);
  for (let c = 0; c < cols; c++) invScale[c] = std[c]! < MIN_SCALE ? 0 : 1 / scale[c]!;
  return { mean: Float32Array.from(mean), std, scale, invScale };
}

/** `(x - mean) * invScale` in float32, row-major. */
export function standardize(s: Standardizer, x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++)
      out[o + c] = Math.fround(Math.fround(x[o + c]! - s.mean[c]!) * s.invScale[c]!);
  }
  return out;
}
