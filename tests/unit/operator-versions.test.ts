import { describe, expect, it } from 'vitest';
import { addVersion, nextVersion, retainVersions, versionNumber } from '../../operator/decisions/versions.ts';
import { gatesPass, nextCronTime, parseDuration } from '../../operator/decisions/schedule.ts';

const v = (name: string) => ({
  name,
  uri: `s3://b/m/${name}/model.onnx`,
  sha256: 'a'.repeat(64),
  trainedAt: '2025-01-01T00:00:00Z',
});

describe('versions', () => {
  it('are vN, allocated past every version seen', () => {
    expect(versionNumber('v12')).toBe(12);
    expect(versionNumber('v0')).toBeNull();
    expect(versionNumber('12')).toBeNull();
    expect(nextVersion([])).toBe('v1');
    expect(nextVersion(['v2', undefined, 'v10', 'junk'])).toBe('v11');
  });

  it('are registered once, in order', () => {
    const list = addVersion(addVersion([v('v2')], v('v1')), v('v2'));
    expect(list.map((x) => x.name)).toEqual(['v1', 'v2']);
  });

  it('retention keeps the newest keepVersions and every protected version', () => {
    const all = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6'].map(v);
    const r = retainVersions(all, 2, new Set(['v1', 'v3']));
    expect(r.keep.map((x) => x.name)).toEqual(['v1', 'v3', 'v5', 'v6']);
    expect(r.remove.map((x) => x.name)).toEqual(['v2', 'v4']);
    expect(retainVersions(all.slice(0, 2), 5, new Set()).remove).toEqual([]);
  });
});

describe('schedule, backoff and gates', () => {
  it('finds the next cron time in UTC and explains a bad expression', () => {
    const r = nextCronTime('0 3 * * *', new Date('2025-03-01T03:00:00Z'));
    expect(r.ok && r.time.toISOString()).toBe('2025-03-02T03:00:00.000Z');
    const d = nextCronTime('@hourly', new Date('2025-03-01T03:10:00Z'));
    expect(d.ok && d.time.toISOString()).toBe('2025-03-01T04:00:00.000Z');
    const bad = nextCronTime('61 * * * *', new Date());
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toContain('schedule "61 * * * *" is not a valid cron expression');
  });

  it('parses the CRD durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(() => parseDuration('5 minutes')).toThrow(/30s, 5m or 1h30m/);
  });

  it('gates need both new and total rounds', () => {
    const gates = { minNewEvents: 500, minTotalEvents: 1000 };
    expect(gatesPass(gates, { newEvents: 500, totalEvents: 1000 }).pass).toBe(true);
    const r = gatesPass(gates, { newEvents: 12, totalEvents: 900 });
    expect(r.pass).toBe(false);
    expect(r.message).toBe('12 new rounds since the last training, need 500; 900 rounds in total, need 1000');
  });
});
