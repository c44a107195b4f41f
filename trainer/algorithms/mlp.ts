import type { MlpHyperparameters } from '../hyperparameters.ts';
import type { Rows } from '../split.ts';
import type { Standardizer } from '../standardize.ts';
import { trainNetworkModel } from './network-model.ts';
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
  return trainNetworkModel('mlp', train, valid, standardizer, { ...hp, classWeights: null }, random, log);
}
