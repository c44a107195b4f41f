import type { RpsModelSpec } from '../resources.ts';
import type { ConditionInput } from './conditions.ts';

/** What the game server's GET /api/v1/stats/drift says about one bot. */
export interface DriftObservation {
  version: string | null;
  drifted: boolean;
  insufficientData: boolean;
  score: number;
  threshold: number;
  rows: number;
}

export const DEFAULT_DRIFT_TRIGGER_THRESHOLD = 0.2;
/** How often a model with a drift trigger asks the game server. */
export const DRIFT_POLL_MS = 60_000;

/** The model's drift trigger, if `spec.training.triggers` lists one. */
export function driftTrigger(spec: RpsModelSpec): { threshold: number } | null {
  const t = spec.training?.triggers?.find((x) => x.type === 'drift');
  return t ? { threshold: t.threshold ?? DEFAULT_DRIFT_TRIGGER_THRESHOLD } : null;
}

/**
 * The DriftDetected condition, and whether drift should start a training run: once per drift
 * episode, i.e. not again while the same Production version is the one drifting.
 */
export function decideDrift(input: {
  threshold: number;
  observation: DriftObservation | Error;
  production: string | undefined;
  lastDriftProduction: string | undefined;
}): { condition: ConditionInput; train: boolean } {
  const { threshold, observation } = input;
  if (observation instanceof Error) {
    return {
      condition: {
        type: 'DriftDetected',
        status: 'Unknown',
        reason: 'GameServerUnreachable',
        message: `could not read drift: ${observation.message}`,
      },
      train: false,
    };
  }
  if (observation.insufficientData || observation.version === null) {
    return {
      condition: {
        type: 'DriftDetected',
        status: 'Unknown',
        reason: 'InsufficientData',
        message:
          observation.version === null
            ? 'no served version with training statistics to compare with'
            : `${observation.rows} recent rounds are too few to judge drift`,
      },
      train: false,
    };
  }
  const score = observation.score.toFixed(3);
  if (observation.score < threshold) {
    return {
      condition: {
        type: 'DriftDetected',
        status: 'False',
        reason: 'NoDrift',
        message: `PSI ${score} < ${threshold} on ${observation.rows} recent rounds against ${observation.version}'s training rows`,
      },
      train: false,
    };
  }
  const alreadyTrained = input.production !== undefined && input.lastDriftProduction === input.production;
  return {
    condition: {
      type: 'DriftDetected',
      status: 'True',
      reason: 'Drift',
      message:
        `PSI ${score} ≥ ${threshold} on ${observation.rows} recent rounds against ${observation.version}'s training rows` +
        (alreadyTrained ? '; a version was already trained for this drift' : ''),
    },
    train: input.production !== undefined && !alreadyTrained,
  };
}
