import { MOVES } from '../../core/index.ts';
import type { LogisticHyperparameters } from '../hyperparameters.ts';
import type { Rows } from '../split.ts';
import type { Standardizer } from '../standardize.ts';
import { trainNetworkModel } from './network-model.ts';
import type { ProgressLog, TrainedModel } from './trained-model.ts';

/** `balanced`: rows / (classes × class rows), so rare moves count as much as common ones. */
export function balancedClassWeights(y: Uint8Array, rows: number): number[] {
  const counts = new Array<number>(MOVES.length).fill(0);
  for (let r = 0; r < rows; r++) counts[y[r]!]!++;
  return counts.map((c) => (c ? rows / (MOVES.length * c) : 1));
}

/** Multinomial (softmax) logistic regression: one dense layer, L2, optional class weights. */
export async function trainLogistic(
  train: Rows,
  valid: Rows,
  standardizer: Standardizer,
  hp: LogisticHyperparameters,
  random: () => number,
  log?: ProgressLog,
): Promise<TrainedModel> {
  return trainNetworkModel(
    'logistic',
    train,
    valid,
    standardizer,
    {
      hiddenUnits: [],
      dropout: 0,
      learningRate: hp.learningRate,
      batchSize: hp.batchSize,
      epochs: hp.epochs,
      patience: hp.patience,
      l2: hp.l2,
      dangerPenalty: hp.dangerPenalty,
      classWeights: hp.classWeights === 'balanced' ? balancedClassWeights(train.y, train.rows) : null,
    },
    random,
    log,
  );
}
