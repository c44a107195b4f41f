import { describe, expect, it } from 'vitest';
import {
  advanceEpisode,
  decideTriggers,
  markTrained,
  scheduleEnabled,
  type TriggerObservation,
} from '../../operator/decisions/trigger-episode.ts';

const t0 = '2025-03-01T00:00:00.000Z';
const t1 = '2025-03-01T01:00:00.000Z';

const drift = (firing: boolean | null): TriggerObservation => ({
  condition: {
    type: 'DriftDetected',
    status: firing === null ? 'Unknown' : firing ? 'True' : 'False',
    reason: firing === null ? 'InsufficientData' : firing ? 'Drift' : 'NoDrift',
    message: firing ? 'PSI 0.400 ≥ 0.2' : 'PSI 0.050 < 0.2',
  },
  firing,
  evidence: firing ? 'PSI 0.400 ≥ 0.2' : 'PSI 0.050 < 0.2',
});
const accuracy = (firing: boolean): TriggerObservation => ({
  condition: {
    type: 'AccuracyDropped',
    status: firing ? 'True' : 'False',
    reason: firing ? 'AccuracyDropped' : 'AccuracyHeld',
    message: firing ? '12.5 points lower' : 'within 10 points',
  },
  firing,
  evidence: firing ? '12.5 points lower' : 'within 10 points',
});

describe('trigger episodes', () => {
  it('begin when a trigger fires for Production, continue while it fires, and end when it stops', () => {
    const begun = advanceEpisode(undefined, { production: 'v1', firing: true, now: t0 });
    expect(begun).toEqual({ production: 'v1', since: t0 });
    const trained = { ...begun!, trainedBy: 'v2' };
    expect(advanceEpisode(trained, { production: 'v1', firing: true, now: t1 })).toBe(trained);
    // an inconclusive check neither ends nor starts one
    expect(advanceEpisode(trained, { production: 'v1', firing: null, now: t1 })).toBe(trained);
    expect(advanceEpisode(undefined, { production: 'v1', firing: null, now: t1 })).toBeUndefined();
    expect(advanceEpisode(trained, { production: 'v1', firing: false, now: t1 })).toBeUndefined();
    // a new Production that fires too is a new episode
    expect(advanceEpisode(trained, { production: 'v2', firing: true, now: t1 })).toEqual({
      production: 'v2',
      since: t1,
    });
  });

  it('end only after staying quiet for quietMs, so a score at the threshold does not retrain at each crossing', () => {
    const trained = { production: 'v1', since: t0, trainedBy: 'v2' };
    const at = (minutes: number) => new Date(Date.parse(t1) + minutes * 60_000).toISOString();
    const quietMs = 10 * 60_000;
    const quiet = advanceEpisode(trained, { production: 'v1', firing: false, now: at(0), quietMs });
    expect(quiet).toEqual({ ...trained, quietSince: at(0) });
    expect(advanceEpisode(quiet, { production: 'v1', firing: false, now: at(5), quietMs })).toBe(quiet);
    // firing again within the quiet period: the same episode, its run already counted
    expect(advanceEpisode(quiet, { production: 'v1', firing: true, now: at(5), quietMs })).toEqual(trained);
    expect(advanceEpisode(quiet, { production: 'v1', firing: false, now: at(10), quietMs })).toBeUndefined();
    // another Production: the old episode ends at once
    expect(advanceEpisode(quiet, { production: 'v3', firing: false, now: at(1), quietMs })).toBeUndefined();
  });

  it('ask for one run per episode, and say which version was trained for it', () => {
    const first = decideTriggers({
      observations: { drift: drift(true) },
      previous: undefined,
      production: 'v1',
      now: t0,
    });
    expect(first.fire).toEqual({ trigger: 'drift', evidence: 'PSI 0.400 ≥ 0.2' });
    expect(first.triggers).toEqual({ drift: { production: 'v1', since: t0 } });

    const started = markTrained(first.triggers, 'v1', 'v2');
    expect(started).toEqual({ drift: { production: 'v1', since: t0, trainedBy: 'v2' } });
    const again = decideTriggers({
      observations: { drift: drift(true) },
      previous: started,
      production: 'v1',
      now: t1,
    });
    expect(again.fire).toBeUndefined();
    expect(again.conditions[0]!.message).toBe('PSI 0.400 ≥ 0.2; v2 was trained for it');

    // the drift goes away, then comes back: a new episode, a new run
    const calm = decideTriggers({
      observations: { drift: drift(false) },
      previous: started,
      production: 'v1',
      now: t1,
    });
    expect(calm.triggers).toEqual({});
    expect(calm.fire).toBeUndefined();
    const back = decideTriggers({
      observations: { drift: drift(true) },
      previous: calm.triggers,
      production: 'v1',
      now: t1,
    });
    expect(back.fire?.trigger).toBe('drift');
  });

  it('counts a run already in progress as the run of an episode that begins meanwhile', () => {
    const during = decideTriggers({
      observations: { drift: drift(true) },
      previous: undefined,
      production: 'v1',
      now: t0,
      running: 'v2',
    });
    expect(during.fire).toBeUndefined();
    expect(during.triggers).toEqual({ drift: { production: 'v1', since: t0, trainedBy: 'v2' } });
    expect(during.conditions[0]!.message).toBe('PSI 0.400 ≥ 0.2; v2 was trained for it');
  });

  it('keeps the episode through an inconclusive check, so a short outage does not train again', () => {
    const started = { drift: { production: 'v1', since: t0, trainedBy: 'v2' } };
    const unknown = decideTriggers({
      observations: { drift: drift(null) },
      previous: started,
      production: 'v1',
      now: t1,
    });
    expect(unknown.triggers).toEqual(started);
    expect(unknown.conditions[0]!.status).toBe('Unknown');
    const firing = decideTriggers({
      observations: { drift: drift(true) },
      previous: unknown.triggers,
      production: 'v1',
      now: t1,
    });
    expect(firing.fire).toBeUndefined();
  });

  it('starts one run when drift and accuracyDrop fire together, and counts it for both', () => {
    const both = decideTriggers({
      observations: { drift: drift(true), accuracyDrop: accuracy(true) },
      previous: undefined,
      production: 'v1',
      now: t0,
    });
    expect(both.fire?.trigger).toBe('drift');
    expect(both.conditions.map((c) => c.type)).toEqual(['DriftDetected', 'AccuracyDropped']);
    const started = markTrained(both.triggers, 'v1', 'v2');
    const next = decideTriggers({
      observations: { drift: drift(true), accuracyDrop: accuracy(true) },
      previous: started,
      production: 'v1',
      now: t1,
    });
    expect(next.fire).toBeUndefined();
  });

  it('does not fire without a Production version', () => {
    const d = decideTriggers({
      observations: { drift: drift(true) },
      previous: undefined,
      production: undefined,
      now: t0,
    });
    expect(d.fire).toBeUndefined();
    expect(d.triggers).toEqual({});
  });
});

describe('the schedule trigger', () => {
  it('runs the schedule alone without triggers, and only when listed with them', () => {
    const spec = { displayName: 'x', algorithm: 'mlp' as const };
    expect(scheduleEnabled({ ...spec, training: { schedule: '@daily' } })).toBe(true);
    expect(scheduleEnabled({ ...spec, training: {} })).toBe(false);
    expect(
      scheduleEnabled({ ...spec, training: { schedule: '@daily', triggers: [{ type: 'drift' }] } }),
    ).toBe(false);
    expect(
      scheduleEnabled({
        ...spec,
        training: { schedule: '@daily', triggers: [{ type: 'schedule' }, { type: 'drift' }] },
      }),
    ).toBe(true);
  });
});
