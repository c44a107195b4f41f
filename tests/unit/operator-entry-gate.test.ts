import { describe, expect, it } from 'vitest';
import type { VersionStats } from '../../core/index.ts';
import { enterNewVersion, rankChallengers } from '../../operator/decisions/aliases.ts';
import { gateVerdict, mayEnterB, versionEvaluation } from '../../operator/decisions/entry-gate.ts';
import { evaluate, policySettings } from '../../operator/decisions/promotion.ts';
import type { VersionEvaluation, VersionRecord } from '../../operator/resources.ts';

const evaluation = (candidate: number, production: number | null, version = 'v3'): VersionEvaluation => ({
  rows: 300,
  heldOut: 'test',
  candidate: { version, accuracy: candidate, logLoss: 1 },
  production: production === null ? null : { version: 'v1', accuracy: production, logLoss: 1 },
  accuracyDelta: production === null ? null : candidate - production,
});
const record = (name: string, ev?: VersionEvaluation): VersionRecord => ({
  name,
  uri: `s3://b/brian/${name}/model.onnx`,
  sha256: 'a'.repeat(64),
  trainedAt: '2025-03-01T00:00:00.000Z',
  ...(ev ? { evaluation: ev } : {}),
});
const gate = { maxAccuracyDeficit: 2 };

describe('the offline evaluation in status', () => {
  it('keeps the fields of metadata.evaluation the gate and people read', () => {
    const metadata = {
      evaluation: {
        heldOut: 'test',
        rows: 300,
        maxRows: 5000,
        humanRows: 10,
        candidate: { version: 'v3', accuracy: 0.41, logLoss: 1.02, perClass: {} },
        production: { version: 'v2', uri: 's3://b/x', sha256: 'f', accuracy: 0.45, logLoss: 0.98 },
        accuracyDelta: -0.04,
        logLossDelta: 0.04,
      },
    };
    expect(versionEvaluation(metadata)).toEqual({
      rows: 300,
      heldOut: 'test',
      candidate: { version: 'v3', accuracy: 0.41, logLoss: 1.02 },
      production: { version: 'v2', accuracy: 0.45, logLoss: 0.98 },
      accuracyDelta: -0.04,
    });
    const failed = versionEvaluation({
      evaluation: { ...metadata.evaluation, production: null, accuracyDelta: null, error: 'no such key' },
    });
    expect(failed).toMatchObject({ production: null, accuracyDelta: null, error: 'no such key' });
  });

  it('is absent when the metadata has none or a malformed one', () => {
    expect(versionEvaluation({})).toBeUndefined();
    expect(versionEvaluation({ evaluation: { rows: 3, candidate: { version: 'v1' } } })).toBeUndefined();
  });
});

describe('the entry gate', () => {
  it('lets a version within maxAccuracyDeficit points of Production through', () => {
    expect(gateVerdict(evaluation(0.44, 0.45), gate)).toMatchObject({ passed: true, reason: 'GatePassed' });
    // exactly at the limit passes
    expect(gateVerdict(evaluation(0.43, 0.45), gate)?.passed).toBe(true);
    expect(gateVerdict(evaluation(0.5, 0.45), { maxAccuracyDeficit: 0 })?.passed).toBe(true);
  });

  it('blocks a version further below, saying by how much', () => {
    const v = gateVerdict(evaluation(0.41, 0.45), gate)!;
    expect(v).toMatchObject({ passed: false, reason: 'GateBlocked', maxAccuracyDeficit: 2 });
    expect(v.message).toBe(
      'v3 scored 0.410, Production v1 0.450 on 300 held-out rounds: 4.0 points lower, more than maxAccuracyDeficit 2; it stays a shadow',
    );
  });

  it('passes a version without a comparison, and does nothing without a gate', () => {
    expect(gateVerdict(evaluation(0.3, null), gate)).toMatchObject({ passed: true, reason: 'NoComparison' });
    expect(gateVerdict(undefined, gate)).toMatchObject({ passed: true, reason: 'NoComparison' });
    expect(gateVerdict(evaluation(0.1, 0.9), null)).toBeNull();
  });

  it('does not judge by a comparison with an earlier Production', () => {
    expect(gateVerdict(evaluation(0.1, 0.9), gate, 'v1')?.passed).toBe(false);
    expect(gateVerdict(evaluation(0.1, 0.9), gate, 'v2')).toEqual({
      passed: true,
      reason: 'NoComparison',
      message: 'not compared: v3 was scored against v1, Production is now v2',
      maxAccuracyDeficit: 2,
    });
  });

  it('admits to B the versions that are Production or B now', () => {
    const versions = [
      record('v1'),
      record('v2', evaluation(0.2, 0.5, 'v2')),
      record('v3', evaluation(0.2, 0.5)),
    ];
    const admits = mayEnterB(versions, gate, { Production: 'v1', B: 'v2' });
    expect(['v1', 'v2', 'v3'].map(admits)).toEqual([true, true, false]);
    expect(mayEnterB(versions, null, { Production: 'v1' })('v3')).toBe(true);
  });
});

describe('the gate in entry and ranking', () => {
  it('a blocked version entering at B goes to Shadow2 instead, and never fills B', () => {
    const all = { Production: 'v1', B: 'v2', Shadow1: 'v3', Shadow2: 'v4' };
    expect(enterNewVersion(all, 'v5', 'B', { mayEnterB: false })).toEqual({ ...all, Shadow2: 'v5' });
    expect(enterNewVersion(all, 'v5', 'B')).toEqual({ ...all, B: 'v5' });
    // B repeats Production: an admitted version would fill it, a blocked one a repeated shadow
    const repeated = { Production: 'v1', B: 'v1', Shadow1: 'v2', Shadow2: 'v3' };
    expect(enterNewVersion(repeated, 'v4', 'Shadow2')).toEqual({ ...repeated, B: 'v4' });
    expect(enterNewVersion(repeated, 'v4', 'Shadow2', { mayEnterB: false })).toEqual({
      ...repeated,
      Shadow2: 'v4',
    });
  });

  it('ranking passes a blocked version over for B and records GateBlocked', () => {
    const { target, ranking } = rankChallengers({
      aliases: { Production: 'v1', B: 'v1', Shadow1: 'v2', Shadow2: 'v3' },
      promote: false,
      accuracy: new Map(),
      minPredictions: 10,
      mayEnterB: (v) => v !== 'v2',
    });
    expect(target).toEqual({ Production: 'v1', B: 'v3', Shadow1: 'v2', Shadow2: 'v1' });
    expect(ranking.map((r) => [r.version, r.gate])).toEqual([
      ['v2', 'GateBlocked'],
      ['v3', undefined],
    ]);
  });

  it('with no version admitted, B repeats Production and the blocked ones stay shadows', () => {
    const { target } = rankChallengers({
      aliases: { Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v2' },
      promote: false,
      accuracy: new Map(),
      minPredictions: 10,
      mayEnterB: (v) => v === 'v1',
    });
    expect(target).toEqual({ Production: 'v1', B: 'v1', Shadow1: 'v2', Shadow2: 'v1' });
  });

  it("a policy's evaluation ranks by the gate of spec.entryGate", () => {
    const stats: VersionStats[] = [];
    const versions = [record('v1'), record('v2', evaluation(0.3, 0.45, 'v2'))];
    const input = {
      model: 'brian',
      aliases: { Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v2' },
      since: '2025-03-01T10:00:00.000Z',
      stats,
      now: '2025-03-01T12:00:00.000Z',
      versions,
    };
    const gated = evaluate({ ...input, settings: policySettings({ entryGate: { maxAccuracyDeficit: 5 } }) });
    expect(gated.target.B).toBe('v1');
    expect(gated.ranking).toMatchObject([{ version: 'v2', gate: 'GateBlocked' }]);
    const open = evaluate({ ...input, settings: policySettings({}) });
    expect(open.target.B).toBe('v2');
  });
});
