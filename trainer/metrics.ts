import { MOVES, type Move } from '../core/index.ts';

/** Test-split quality of a model, as stored in metadata.json. */
export interface Metrics {
  rows: number;
  accuracy: number;
  logLoss: number;
  /** accuracy of always predicting the most common move of the training rows */
  baselineAccuracy: number;
  baselineMove: Move;
  /** per true class: its rows and the share of them predicted right (recall) */
  perClass: Record<Move, { rows: number; accuracy: number }>;
  /** confusionMatrix[true][predicted], class order rock, paper, scissors */
  confusionMatrix: number[][];
}

const EPS = 1e-15;

export function majorityClass(y: Uint8Array, rows: number): number {
  const counts = new Array<number>(MOVES.length).fill(0);
  for (let r = 0; r < rows; r++) counts[y[r]!]!++;
  let best = 0;
  for (let j = 1; j < counts.length; j++) if (counts[j]! > counts[best]!) best = j;
  return best;
}

/** Argmax with ties to the first class (rock, paper, scissors), like the decision rule. */
export function argmax(p: Float32Array, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (p[offset + j]! > p[offset + best]!) best = j;
  return best;
}

export function evaluate(
  probabilities: Float32Array,
  y: Uint8Array,
  rows: number,
  trainMajority: number,
): Metrics {
  const k = MOVES.length;
  const confusion = MOVES.map(() => new Array<number>(k).fill(0));
  let correct = 0;
  let baseline = 0;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const truth = y[r]!;
    const predicted = argmax(probabilities, r * k, k);
    confusion[truth]![predicted]!++;
    if (predicted === truth) correct++;
    if (truth === trainMajority) baseline++;
    loss -= Math.log(Math.min(1 - EPS, Math.max(EPS, probabilities[r * k + truth]!)));
  }
  const perClass = Object.fromEntries(
    MOVES.map((m, j) => {
      const classRows = confusion[j]!.reduce((a, b) => a + b, 0);
      return [m, { rows: classRows, accuracy: classRows ? confusion[j]![j]! / classRows : 0 }];
    }),
  ) as Record<Move, { rows: number; accuracy: number }>;
  return {
    rows,
    accuracy: rows ? correct / rows : 0,
    logLoss: rows ? loss / rows : 0,
    baselineAccuracy: rows ? baseline / rows : 0,
    baselineMove: MOVES[trainMajority]!,
    perClass,
    confusionMatrix: confusion,
  };
}
