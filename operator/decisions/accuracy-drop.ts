import type { VersionStats } from '../../core/index.ts';
import type { RpsModelSpec } from '../resources.ts';
import { parseDuration } from './schedule.ts';
import type { TriggerObservation } from './trigger-episode.ts';
import { accuracyText } from './accuracy-format.ts';

export const DEFAULT_ACCURACY_DROP = { points: 10, minPredictions: 200, window: '1h' } as const;

export interface AccuracyDropTrigger {
  /** percentage points below the registered test accuracy that fire the trigger */
  points: number;
  /** predictions of Production in the window before anything is concluded */
  minPredictions: number;
  window: string;
  windowMs: number;
}

/** The model's accuracyDrop trigger with its defaults, if `spec.training.triggers` lists one. */
export function accuracyDropTrigger(spec: RpsModelSpec): AccuracyDropTrigger | null {
  const t = spec.training?.triggers?.find((x) => x.type === 'accuracyDrop');
  if (!t) return null;
  const window = t.window ?? DEFAULT_ACCURACY_DROP.window;
  return {
    points: t.points ?? DEFAULT_ACCURACY_DROP.points,
    minPredictions: t.minPredictions ?? DEFAULT_ACCURACY_DROP.minPredictions,
    window,
    windowMs: parseDuration(window),
  };
}

/**
 * One accuracy check: Production's share of correct predictions on the rounds of the last window
 * (GET /api/v1/stats/versions) against the test accuracy it was registered with. Fires when it is
 * more than `points` percentage points lower; concludes nothing below `minPredictions`.
 */
export function observeAccuracyDrop(input: {
  trigger: AccuracyDropTrigger;
  production: string | undefined;
  /** the registered held-out accuracy of Production (a fraction) */
  testAccuracy: number | undefined;
  stats: readonly VersionStats[] | Error;
}): TriggerObservation {
  const { trigger, production, testAccuracy, stats } = input;
  const unknown = (reason: string, message: string): TriggerObservation => ({
    condition: { type: 'AccuracyDropped', status: 'Unknown', reason, message },
    firing: null,
    evidence: message,
  });
  if (!production || testAccuracy === undefined) {
    return unknown('NoProduction', 'no Production version with a test accuracy yet');
  }
  if (stats instanceof Error) {
    return unknown('GameServerUnreachable', `could not read prediction stats: ${stats.message}`);
  }
  const s = stats.find((x) => x.version === production);
  const predictions = s?.predictions ?? 0;
  if (predictions < trigger.minPredictions || predictions === 0) {
    return unknown(
      'InsufficientData',
      `Production ${production} made ${predictions} predictions in the last ${trigger.window}, fewer than ${trigger.minPredictions}`,
    );
  }
  const recent = s!.correct / predictions;
  const drop = (testAccuracy - recent) * 100;
  const facts =
    `Production ${production} had accuracy ${accuracyText(recent)} on ${predictions} rounds in the last ${trigger.window}, ` +
    `its test accuracy is ${accuracyText(testAccuracy)}`;
  // a drop within rounding of the limit does not fire
  if (drop > trigger.points + 1e-9) {
    const message = `${facts}: ${drop.toFixed(1)} points lower, more than ${trigger.points}`;
    return {
      condition: { type: 'AccuracyDropped', status: 'True', reason: 'AccuracyDropped', message },
      firing: true,
      evidence: message,
    };
  }
  const message = `${facts}: within ${trigger.points} points`;
  return {
    condition: { type: 'AccuracyDropped', status: 'False', reason: 'AccuracyHeld', message },
    firing: false,
    evidence: message,
  };
}
