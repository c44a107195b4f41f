import type { Algorithm } from '../../core/index.ts';
import type { ModelInfo } from '../onnx-export.ts';

/** What every algorithm hands back: an in-memory predictor and its ONNX twin. */
export interface TrainedModel {
  algorithm: Algorithm;
  /** probabilities, row-major [rows, 3], from raw features */
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
  toOnnx(info: ModelInfo): Uint8Array;
  /** how training went (epochs or rounds run, the best one, whether it stopped early) */
  training: Record<string, number | boolean>;
}

/** Progress lines on stdout, so `kubectl logs` shows a living job. */
export type ProgressLog = (fields: Record<string, unknown>) => void;
