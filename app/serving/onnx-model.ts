import ort from 'onnxruntime-node';
import { featureSet, type FeatureSet, type Probabilities } from '../../core/index.ts';

export class InvalidModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidModelError';
  }
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  // many small models, many concurrent requests: one thread each keeps latency flat on few cores
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

/** Rows waiting for the next batched run. */
interface Pending {
  features: Float32Array;
  resolve: (p: Probabilities) => void;
  reject: (err: Error) => void;
}

/**
 * One model version in an onnxruntime session: features [N, its feature set's count] in,
 * probabilities [N,3] out.
 * Predictions requested in the same event-loop turn (concurrent moves) go to the session as one
 * batch, which costs about as much as a single row.
 */
export class OnnxModel {
  private pending: Pending[] = [];
  private scheduled = false;

  private constructor(
    readonly version: string,
    readonly sha256: string,
    private readonly session: ort.InferenceSession,
    /** the features the version reads (its metadata's featureSet) */
    readonly featureSet: FeatureSet,
  ) {}

  /** Creates the session and checks the serving contract with a probe inference. */
  static async load(
    bytes: Uint8Array,
    version: string,
    sha256: string,
    set: FeatureSet = featureSet('rps-features/v1'),
  ): Promise<OnnxModel> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    } catch (err) {
      throw new InvalidModelError(
        `version ${version} is not a loadable ONNX model: ${(err as Error).message}`,
      );
    }
    if (!session.inputNames.includes('features') || !session.outputNames.includes('probabilities')) {
      await session.release();
      throw new InvalidModelError(
        `version ${version} must have input "features" and output "probabilities" (has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')})`,
      );
    }
    const model = new OnnxModel(version, sha256, session, set);
    try {
      const probe = await model.predict(new Float32Array(set.count));
      if (probe.some((p) => !Number.isFinite(p))) throw new Error(`probe gave ${probe.join(', ')}`);
    } catch (err) {
      await session.release();
      throw new InvalidModelError(`version ${version} fails a probe inference: ${(err as Error).message}`);
    }
    return model;
  }

  predict(features: Float32Array): Promise<Probabilities> {
    return new Promise((resolve, reject) => {
      this.pending.push({ features, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    const rows = batch.length;
    const n = this.featureSet.count;
    const x = new Float32Array(rows * n);
    batch.forEach((p, i) => x.set(p.features, i * n));
    try {
      const out = await this.session.run({ features: new ort.Tensor('float32', x, [rows, n]) });
      const probs = out.probabilities;
      if (!probs || probs.data.length < rows * 3) {
        throw new InvalidModelError(`version ${this.version} returned no [${rows},3] probabilities`);
      }
      const d = probs.data as Float32Array;
      batch.forEach((p, i) => p.resolve([d[i * 3]!, d[i * 3 + 1]!, d[i * 3 + 2]!]));
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }

  async release(): Promise<void> {
    await this.session.release().catch(() => undefined);
  }
}
