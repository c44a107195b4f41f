import { denseToOnnx } from '../onnx-export.ts';
import { featureCountOf, type Rows } from '../split.ts';
import type { Standardizer } from '../standardize.ts';
import { predictNetwork, trainNetwork, type NetworkOptions } from './network.ts';
import type { ProgressLog, TrainedModel } from './trained-model.ts';

/**
 * Trains a dense network on all feature columns and hands it back as `algorithm`'s model: the mlp,
 * and the logistic regression (a network without hidden layers). Each epoch is a progress line.
 */
export async function trainNetworkModel(
  algorithm: 'mlp' | 'logistic',
  train: Rows,
  valid: Rows,
  standardizer: Standardizer,
  options: NetworkOptions,
  random: () => number,
  log?: ProgressLog,
): Promise<TrainedModel> {
  const result = await trainNetwork(
    train,
    valid,
    featureCountOf(train),
    standardizer,
    options,
    random,
    log && ((p) => log({ msg: 'epoch', ...p })),
  );
  return {
    algorithm,
    predict: (x, rows) => predictNetwork(standardizer, result.layers, x, rows, standardizer.mean.length),
    toOnnx: (info) => denseToOnnx(info, standardizer, result.layers),
    training: { epochs: result.epochs, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly },
  };
}
