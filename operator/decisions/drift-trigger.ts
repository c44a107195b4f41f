import type { RpsModelSpec } from '../resources.ts';
import type { TriggerObservation } from './trigger-episode.ts';

/** What the game server's GET /api/v1/stats/drift says about one bot. */
export interface DriftObservation {
  version: string | null;
  drifted: boolean;
  insufficientData: boolean;
  score: number;
  threshold: number;
  rows: number;
  /** the training rows of the reference, when the game server says */
  referenceRows?: number;
}

export const DEFAULT_DRIFT_TRIGGER_THRESHOLD = 0.2;

/** The model's drift trigger, if `spec.training.triggers` lists one. */
export function driftTrigger(spec: RpsModelSpec): { threshold: number } | null {
  const t = spec.training?.triggers?.find((x) => x.type === 'drift');
  return t ? { threshold: t.threshold ?? DEFAULT_DRIFT_TRIGGER_THRESHOLD } : null;
}

/**
 * One drift check: the DriftDetected condition, and whether the trigger fires (null when nothing
 * can be concluded: the game server is unreachable, no version is served, too few rounds).
 */
export function observeDrift(input: {
  threshold: number;
  /** the Production version in status; a check against another version concludes nothing */
  production: string | undefined;
  observation: DriftObservation | Error;
}): TriggerObservation {
  const { threshold, production, observation } = input;
  if (observation instanceof Error) {
    const message = `could not read drift: ${observation.message}`;
    return {
      condition: { type: 'DriftDetected', status: 'Unknown', reason: 'GameServerUnreachable', message },
      firing: null,
      evidence: message,
    };
  }
  if (observation.insufficientData || observation.version === null) {
    const message =
      observation.version === null
        ? 'no served version with training statistics to compare with'
        : `${observation.rows} recent rounds are too few to judge drift`;
    return {
      condition: { type: 'DriftDetected', status: 'Unknown', reason: 'InsufficientData', message },
      firing: null,
      evidence: message,
    };
  }
  // the game server has not loaded a new Production yet: its check is about the previous one
  if (production !== undefined && observation.version !== production) {
    const message = `the game server still compares with ${observation.version}; Production is ${production}, not served yet`;
    return {
      condition: { type: 'DriftDetected', status: 'Unknown', reason: 'ServingPending', message },
      firing: null,
      evidence: message,
    };
  }
  const score = observation.score.toFixed(3);
  const reference = observation.referenceRows ? `${observation.referenceRows} ` : '';
  const against = `on ${observation.rows} recent rounds against ${observation.version}'s ${reference}training rows`;
  if (observation.score < threshold) {
    const message = `PSI ${score} < ${threshold} ${against}`;
    return {
      condition: { type: 'DriftDetected', status: 'False', reason: 'NoDrift', message },
      firing: false,
      evidence: message,
    };
  }
  const message = `PSI ${score} ≥ ${threshold} ${against}`;
  return {
    condition: { type: 'DriftDetected', status: 'True', reason: 'Drift', message },
    firing: true,
    evidence: message,
  };
}
