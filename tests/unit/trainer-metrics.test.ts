import { describe, expect, it } from 'vitest';
import { evaluate, majorityClass } from '../../trainer/metrics.ts';

describe('test metrics', () => {
  // truth: rock, rock, paper, scissors; predictions: rock, paper, paper, rock
  const p = Float32Array.from([0.7, 0.2, 0.1, 0.3, 0.6, 0.1, 0.1, 0.8, 0.1, 0.5, 0.25, 0.25]);
  const y = Uint8Array.from([0, 0, 1, 2]);
  const m = evaluate(p, y, 4, 1);

  it('accuracy, log loss and the training-majority baseline', () => {
    expect(m.rows).toBe(4);
    expect(m.accuracy).toBe(0.5);
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.3) + Math.log(0.8) + Math.log(0.25)) / 4, 6);
    expect(m.baselineMove).toBe('paper');
    expect(m.baselineAccuracy).toBe(0.25);
  });

  it('per-class accuracy and the confusion matrix [true][predicted]', () => {
    expect(m.perClass).toEqual({
      rock: { rows: 2, accuracy: 0.5 },
      paper: { rows: 1, accuracy: 1 },
      scissors: { rows: 1, accuracy: 0 },
    });
    expect(m.confusionMatrix).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
  });

  it('majority class ties go to the first class', () => {
    expect(majorityClass(Uint8Array.from([2, 1, 2, 1]), 4)).toBe(1);
  });
});
