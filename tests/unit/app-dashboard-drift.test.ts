import { describe, expect, it } from 'vitest';
import type { DashboardBot } from '../../app/dashboard.ts';
import { driftSummary } from '../../app/public/dashboard-drift.js';

type Drift = DashboardBot['drift']['current'];

/** A bot as the dashboard route sends it, with Production serving `production`. */
function bot(production: string | null, current: Partial<Drift>): DashboardBot {
  return {
    model: 'brian',
    displayName: 'Brian',
    algorithm: 'mlp',
    trafficSplit: { Production: 90, B: 10 },
    aliases: [
      { alias: 'Production', version: production },
      { alias: 'B', version: null },
      { alias: 'Shadow1', version: null },
      { alias: 'Shadow2', version: null },
    ],
    accuracy: { bucketSize: 10, series: [] },
    abTest: null,
    drift: {
      current: {
        model: 'brian',
        version: production,
        drifted: false,
        insufficientData: false,
        score: 0.05,
        threshold: 0.2,
        statistic: 'psi',
        rows: 300,
        referenceRows: 2000,
        moveDistribution: {
          reference: [0.4, 0.3, 0.3],
          recent: [0.35, 0.35, 0.3],
          psi: 0.01,
          chiSquare: 2,
          pValue: 0.4,
        },
        features: [],
        meanShift: [],
        ...current,
      },
      history: [],
    },
    inputs: { window: 10_000, click: 0, key: 0, camera: 0 },
    aliasChanges: [],
  };
}

describe('the drift card', () => {
  it('says no drift check yet while the last check predates the version Production serves', () => {
    // the check ran before the game server had loaded v1 (what a fresh `make dev` shows)
    const fresh = bot('v1', {
      version: null,
      insufficientData: true,
      score: 0,
      rows: 0,
      moveDistribution: { reference: [0, 0, 0], recent: [0, 0, 0], psi: 0, chiSquare: 0, pValue: 1 },
    });
    expect(driftSummary(fresh)).toEqual({
      sub: 'Production v1',
      state: 'unknown',
      text: 'no drift check yet',
    });
    // Production moved on to v2 since the last check of v1
    expect(driftSummary(bot('v2', { version: 'v1' }))).toEqual({
      sub: 'Production v2',
      state: 'unknown',
      text: 'no drift check yet',
    });
  });

  it('says there is no Production version only when none is served', () => {
    expect(driftSummary(bot(null, { insufficientData: true }))).toEqual({
      sub: 'no Production version',
      state: 'unknown',
      text: 'no Production version to check',
    });
  });

  it("reads a check of Production's version: stable, drifted, too few rounds, or no reference", () => {
    expect(driftSummary(bot('v1', {}))).toEqual({
      sub: 'Production v1 · last 300 rounds',
      state: 'ok',
      text: 'stable · PSI 0.050 < 0.2',
    });
    expect(driftSummary(bot('v1', { drifted: true, score: 0.31 }))).toMatchObject({
      state: 'drifted',
      text: 'drifted · PSI 0.310 ≥ 0.2',
    });
    expect(driftSummary(bot('v1', { insufficientData: true, rows: 12, score: 0.4 }))).toMatchObject({
      state: 'unknown',
      text: 'not enough rounds yet (12) · PSI 0.400',
    });
    const noReference = bot('v1', {
      insufficientData: true,
      referenceRows: 0,
      moveDistribution: { reference: [0, 0, 0], recent: [0.4, 0.3, 0.3], psi: 0, chiSquare: 0, pValue: 1 },
    });
    expect(driftSummary(noReference)).toMatchObject({
      state: 'unknown',
      text: 'no training reference to compare with',
    });
  });
});
