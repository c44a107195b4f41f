import { describe, expect, it } from 'vitest';
import { decideDrift, driftTrigger, type DriftObservation } from '../../operator/decisions/drift-trigger.ts';

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
      driftTrigger({ displayName: 'x', algorithm: 'mlp', training: { triggers: [{ type: 'drift' }] } }),
    ).toEqual({
      threshold: 0.2,
    });
    expect(
      driftTrigger({
        displayName: 'x',
        algorithm: 'mlp',
        training: { triggers: [{ type: 'drift', threshold: 0.5 }] },
      }),
    ).toEqual({ threshold: 0.5 });
  });

  it('reports no drift below the threshold and does not train', () => {
    const d = decideDrift({
      threshold: 0.2,
      observation: seen(0.05),
      production: 'v3',
      lastDriftProduction: undefined,
    });
    expect(d.train).toBe(false);
    expect(d.condition).toMatchObject({ type: 'DriftDetected', status: 'False', reason: 'NoDrift' });
    expect(d.condition.message).toBe("PSI 0.050 < 0.2 on 1000 recent rounds against v3's training rows");
  });

  it('trains once when the score reaches the threshold', () => {
    const first = decideDrift({
      threshold: 0.2,
      observation: seen(0.2),
      production: 'v3',
      lastDriftProduction: 'v2',
    });
    expect(first.train).toBe(true);
    expect(first.condition).toMatchObject({ status: 'True', reason: 'Drift' });
    const again = decideDrift({
      threshold: 0.2,
      observation: seen(0.4),
      production: 'v3',
      lastDriftProduction: 'v3',
    });
    expect(again.train).toBe(false);
    expect(again.condition.status).toBe('True');
    expect(again.condition.message).toMatch(/already trained for this drift$/);
  });

  it('uses the trigger threshold, not the game server default', () => {
    const d = decideDrift({
      threshold: 0.5,
      observation: seen(0.3),
      production: 'v3',
      lastDriftProduction: undefined,
    });
    expect(d.train).toBe(false);
  });

  it('says Unknown when data is short, nothing serves, or the game server is unreachable', () => {
    const short = decideDrift({
      threshold: 0.2,
      observation: seen(0.9, { insufficientData: true, rows: 40 }),
      production: 'v3',
      lastDriftProduction: undefined,
    });
    expect(short).toMatchObject({
      train: false,
      condition: { status: 'Unknown', reason: 'InsufficientData' },
    });
    expect(short.condition.message).toBe('40 recent rounds are too few to judge drift');
    const none = decideDrift({
      threshold: 0.2,
      observation: seen(0, { version: null }),
      production: undefined,
      lastDriftProduction: undefined,
    });
    expect(none.condition.reason).toBe('InsufficientData');
    const down = decideDrift({
      threshold: 0.2,
      observation: new Error('ECONNREFUSED'),
      production: 'v3',
      lastDriftProduction: undefined,
    });
    expect(down).toMatchObject({
      train: false,
      condition: { status: 'Unknown', reason: 'GameServerUnreachable' },
    });
  });
});
