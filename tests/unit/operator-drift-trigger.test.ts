import { describe, expect, it } from 'vitest';
import { driftTrigger, observeDrift, type DriftObservation } from '../../operator/decisions/drift-trigger.ts';

const seen = (score: number, over: Partial<DriftObservation> = {}): DriftObservation => ({
  version: 'v3',
  drifted: score >= 0.2,
  insufficientData: false,
  score,
  threshold: 0.2,
  rows: 1000,
  ...over,
});

describe('the drift trigger', () => {
  it('is read from spec.training.triggers with the default threshold', () => {
    expect(driftTrigger({ displayName: 'x', algorithm: 'mlp' })).toBeNull();
    expect(
      driftTrigger({ displayName: 'x', algorithm: 'mlp', training: { triggers: [{ type: 'schedule' }] } }),
    ).toBeNull();
    expect(
      driftTrigger({ displayName: 'x', algorithm: 'mlp', training: { triggers: [{ type: 'drift' }] } }),
    ).toEqual({ threshold: 0.2 });
    expect(
      driftTrigger({
        displayName: 'x',
        algorithm: 'mlp',
        training: { triggers: [{ type: 'drift', threshold: 0.5 }] },
      }),
    ).toEqual({ threshold: 0.5 });
  });

  it('does not fire below the threshold', () => {
    const d = observeDrift({ production: 'v3', threshold: 0.2, observation: seen(0.05) });
    expect(d.firing).toBe(false);
    expect(d.condition).toMatchObject({ type: 'DriftDetected', status: 'False', reason: 'NoDrift' });
    expect(d.condition.message).toBe("PSI 0.050 < 0.2 on 1000 recent rounds against v3's training rows");
  });

  it('fires at the threshold, with the score as evidence', () => {
    const d = observeDrift({ production: 'v3', threshold: 0.2, observation: seen(0.2) });
    expect(d.firing).toBe(true);
    expect(d.condition).toMatchObject({ status: 'True', reason: 'Drift' });
    expect(d.evidence).toBe("PSI 0.200 ≥ 0.2 on 1000 recent rounds against v3's training rows");
  });

  it('uses the trigger threshold, not the game server default', () => {
    expect(observeDrift({ production: 'v3', threshold: 0.5, observation: seen(0.3) }).firing).toBe(false);
    expect(
      observeDrift({ production: 'v3', threshold: 0.1, observation: seen(0.15, { drifted: false }) }).firing,
    ).toBe(true);
  });

  it('concludes nothing when data is short, nothing serves, or the game server is unreachable', () => {
    const short = observeDrift({
      production: 'v3',
      threshold: 0.2,
      observation: seen(0.9, { insufficientData: true, rows: 40 }),
    });
    expect(short).toMatchObject({
      firing: null,
      condition: { status: 'Unknown', reason: 'InsufficientData' },
    });
    expect(short.condition.message).toBe('40 recent rounds are too few to judge drift');
    const none = observeDrift({ production: 'v3', threshold: 0.2, observation: seen(0, { version: null }) });
    expect(none).toMatchObject({ firing: null, condition: { reason: 'InsufficientData' } });
    const down = observeDrift({ production: 'v3', threshold: 0.2, observation: new Error('ECONNREFUSED') });
    expect(down).toMatchObject({
      firing: null,
      condition: { status: 'Unknown', reason: 'GameServerUnreachable' },
    });
  });

  it('names the size of the reference when the game server gives it', () => {
    const d = observeDrift({
      production: 'v3',
      threshold: 0.2,
      observation: seen(0.05, { referenceRows: 340 }),
    });
    expect(d.condition.message).toBe("PSI 0.050 < 0.2 on 1000 recent rounds against v3's 340 training rows");
  });

  it('concludes nothing while the game server still checks another version than Production', () => {
    const d = observeDrift({ production: 'v4', threshold: 0.2, observation: seen(0.9) });
    expect(d.firing).toBeNull();
    expect(d.condition).toMatchObject({
      type: 'DriftDetected',
      status: 'Unknown',
      reason: 'ServingPending',
      message: 'the game server still compares with v3; Production is v4, not served yet',
    });
  });
});
