import type { MlpHyperparameters } from '../hyperparameters.ts';
import { denseToOnnx } from '../onnx-export.ts';
import { featureCountOf, type Rows } from '../split.ts';
import type { Standardizer } from '../standardize.ts';
import { predictNetwork, trainNetwork } from './network.ts';
import type { ProgressLog, TrainedModel } from './trained-model.ts';

/** Feed-forward network: ReLU hidden layers with dropout, softmax output, Adam. */
export async function trainMlp(
  train: Rows,
  valid: Rows,
  standardizer: Standardizer,
  hp: MlpHyperparameters,
  random: () => number,
  log?: ProgressLog,
): Promise<TrainedModel> {
  const result = await trainNetwork(
    train,
    valid,
    featureCountOf(train),
    standardizer,
    { ...hp, classWeights: null },
    random,
    log && ((p) => log({ msg: 'epoch', ...p })),
  );
  return {
    algorithm: 'mlp',
    predict: (x, rows) => predictNetwork(standardizer, result.layers, x, rows, standardizer.mean.length),
    toOnnx: (info) => denseToOnnx(info, standardizer, result.layers),
    training: { epochs: result.epochs, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly },
  };
}
