import { describe, expect, it } from 'vitest';
import type { VersionStats } from '../../core/index.ts';
import { accuracyDropTrigger, observeAccuracyDrop } from '../../operator/decisions/accuracy-drop.ts';

const stat = (version: string, predictions: number, correct: number): VersionStats => ({
  model: 'logan',
  version,
  games: 10,
  botWins: 5,
  botLosses: 5,
  ties: 0,
  predictions,
  correct,
});
const trigger = { points: 10, minPredictions: 200, window: '1h', windowMs: 3_600_000 };

describe('the accuracyDrop trigger', () => {
  it('is read from spec.training.triggers with its defaults', () => {
    expect(accuracyDropTrigger({ displayName: 'x', algorithm: 'gbdt' })).toBeNull();
    expect(
      accuracyDropTrigger({
        displayName: 'x',
        algorithm: 'gbdt',
        training: { triggers: [{ type: 'accuracyDrop' }] },
      }),
    ).toEqual(trigger);
    expect(
      accuracyDropTrigger({
        displayName: 'x',
        algorithm: 'gbdt',
        training: { triggers: [{ type: 'drift' }, { type: 'accuracyDrop', points: 5, window: '1h30m' }] },
      }),
    ).toEqual({ points: 5, minPredictions: 200, window: '1h30m', windowMs: 5_400_000 });
  });

  it('fires when Production predicts recent rounds more than `points` below its test accuracy', () => {
    const o = observeAccuracyDrop({
      trigger,
      production: 'v2',
      testAccuracy: 0.5,
      stats: [stat('v1', 900, 600), stat('v2', 400, 150)],
    });
    expect(o.firing).toBe(true);
    expect(o.condition).toMatchObject({ type: 'AccuracyDropped', status: 'True', reason: 'AccuracyDropped' });
    expect(o.evidence).toBe(
      'Production v2 had accuracy 0.375 on 400 rounds in the last 1h, its test accuracy is 0.500: 12.5 points lower, more than 10',
    );
  });

  it('holds within `points`, including a drop of exactly `points`', () => {
    const o = observeAccuracyDrop({
      trigger,
      production: 'v2',
      testAccuracy: 0.5,
      stats: [stat('v2', 400, 160)],
    });
    expect(o.firing).toBe(false);
    expect(o.condition).toMatchObject({ status: 'False', reason: 'AccuracyHeld' });
    const better = observeAccuracyDrop({
      trigger,
      production: 'v2',
      testAccuracy: 0.5,
      stats: [stat('v2', 400, 300)],
    });
    expect(better.firing).toBe(false);
  });

  it('concludes nothing below minPredictions, without Production, or when the game server is away', () => {
    const few = observeAccuracyDrop({
      trigger,
      production: 'v2',
      testAccuracy: 0.5,
      stats: [stat('v2', 199, 0)],
    });
    expect(few).toMatchObject({ firing: null, condition: { status: 'Unknown', reason: 'InsufficientData' } });
    expect(few.condition.message).toBe('Production v2 made 199 predictions in the last 1h, fewer than 200');
    expect(
      observeAccuracyDrop({ trigger, production: 'v2', testAccuracy: 0.5, stats: [stat('v1', 1000, 0)] })
        .firing,
    ).toBeNull();
    expect(
      observeAccuracyDrop({ trigger, production: undefined, testAccuracy: undefined, stats: [] }).condition
        .reason,
    ).toBe('NoProduction');
    expect(
      observeAccuracyDrop({ trigger, production: 'v2', testAccuracy: 0.5, stats: new Error('timeout') })
        .condition,
    ).toMatchObject({ status: 'Unknown', reason: 'GameServerUnreachable' });
  });
});
