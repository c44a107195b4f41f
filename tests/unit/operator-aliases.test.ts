import { describe, expect, it } from 'vitest';
import {
  aliasChanges,
  appendHistory,
  applyPins,
  enterNewVersion,
  protectedVersions,
  rankChallengers,
} from '../../operator/decisions/aliases.ts';

const acc = (entries: Record<string, [number, number]>) =>
  new Map(Object.entries(entries).map(([v, [predictions, correct]]) => [v, { predictions, correct }]));

describe('new versions entering the aliases', () => {
  it('the first version fills all four aliases', () => {
    expect(enterNewVersion({}, 'v1', 'Shadow2')).toEqual({
      Production: 'v1',
      B: 'v1',
      Shadow1: 'v1',
      Shadow2: 'v1',
    });
  });

  it('later versions fill aliases that repeat an earlier alias before replacing a distinct one', () => {
    let a = enterNewVersion({}, 'v1', 'Shadow2');
    a = enterNewVersion(a, 'v2', 'Shadow2');
    expect(a).toEqual({ Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v2' });
    a = enterNewVersion(a, 'v3', 'Shadow2');
    expect(a).toEqual({ Production: 'v1', B: 'v1', Shadow1: 'v3', Shadow2: 'v2' });
    a = enterNewVersion(a, 'v4', 'Shadow2');
    expect(a).toEqual({ Production: 'v1', B: 'v4', Shadow1: 'v3', Shadow2: 'v2' });
    // four distinct versions: the entry alias is replaced
    a = enterNewVersion(a, 'v5', 'Shadow2');
    expect(a).toEqual({ Production: 'v1', B: 'v4', Shadow1: 'v3', Shadow2: 'v5' });
  });

  it('uses the policy entry alias when it is a repeated slot', () => {
    const a = enterNewVersion({ Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v1' }, 'v2', 'B');
    expect(a).toEqual({ Production: 'v1', B: 'v2', Shadow1: 'v1', Shadow2: 'v1' });
  });

  it('fills an empty alias first', () => {
    expect(enterNewVersion({ Production: 'v1', B: 'v2', Shadow1: 'v3' }, 'v4', 'Shadow1')).toEqual({
      Production: 'v1',
      B: 'v2',
      Shadow1: 'v3',
      Shadow2: 'v4',
    });
  });
});

describe('pins', () => {
  it('win over computed aliases, and a pin to an unknown version is reported, not applied', () => {
    const r = applyPins(
      { Production: 'v3', B: 'v2' },
      { Production: 'v1', B: 'v9' },
      new Set(['v1', 'v2', 'v3']),
    );
    expect(r.aliases).toEqual({ Production: 'v1', B: 'v2' });
    expect(r.missing).toEqual([{ alias: 'B', version: 'v9' }]);
  });
});

describe('shadow ranking', () => {
  it('without a promotion, orders B, Shadow1, Shadow2 by accuracy among versions with enough predictions', () => {
    const { target, ranking } = rankChallengers({
      aliases: { Production: 'v1', B: 'v2', Shadow1: 'v3', Shadow2: 'v4' },
      promote: false,
      accuracy: acc({ v2: [500, 200], v3: [500, 260], v4: [50, 45] }),
      minPredictions: 100,
    });
    // v4 has too few predictions: it keeps its place behind the ranked ones
    expect(target).toEqual({ Production: 'v1', B: 'v3', Shadow1: 'v2', Shadow2: 'v4' });
    expect(ranking.map((r) => [r.version, r.ranked])).toEqual([
      ['v3', true],
      ['v2', true],
      ['v4', false],
    ]);
    expect(ranking[0]!.accuracy).toBeCloseTo(0.52);
  });

  it('on a promotion, B becomes Production and the old Production is the challenger unless a shadow ranks higher', () => {
    const aliases = { Production: 'v1', B: 'v2', Shadow1: 'v3', Shadow2: 'v4' };
    const better = rankChallengers({
      aliases,
      promote: true,
      accuracy: acc({ v1: [500, 250], v3: [500, 200], v4: [500, 150] }),
      minPredictions: 100,
    });
    expect(better.target).toEqual({ Production: 'v2', B: 'v1', Shadow1: 'v3', Shadow2: 'v4' });
    const shadowHigher = rankChallengers({
      aliases,
      promote: true,
      accuracy: acc({ v1: [500, 200], v3: [500, 260], v4: [500, 150] }),
      minPredictions: 100,
    });
    expect(shadowHigher.target).toEqual({ Production: 'v2', B: 'v3', Shadow1: 'v1', Shadow2: 'v4' });
  });

  it('moves a real challenger into B when B repeats Production, and repeats Production in leftover aliases', () => {
    const { target } = rankChallengers({
      aliases: { Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v2' },
      promote: false,
      accuracy: acc({}),
      minPredictions: 100,
    });
    expect(target).toEqual({ Production: 'v1', B: 'v2', Shadow1: 'v1', Shadow2: 'v1' });
  });

  it('leaves pinned aliases where they are', () => {
    const { target } = rankChallengers({
      aliases: { Production: 'v1', B: 'v2', Shadow1: 'v3', Shadow2: 'v4' },
      promote: false,
      accuracy: acc({ v2: [500, 100], v3: [500, 200], v4: [500, 300] }),
      minPredictions: 100,
      pinned: new Set(['B'] as const),
    });
    expect(target).toEqual({ Production: 'v1', B: 'v2', Shadow1: 'v4', Shadow2: 'v3' });
  });
});

describe('alias history', () => {
  const text = {
    FirstVersion: 'first',
    NewVersion: 'new',
    Pinned: 'pinned',
    Promoted: 'promoted',
    Demoted: 'demoted',
    Ranked: 'ranked',
  } as const;
  const time = '2025-01-01T00:00:00.000Z';

  it('records each change with its reason and stays bounded', () => {
    const changes = aliasChanges(
      { Production: 'v1', B: 'v2' },
      { Production: 'v2', B: 'v1' },
      (alias) => (alias === 'Production' ? 'Promoted' : 'Demoted'),
      text,
      time,
    );
    expect(changes).toEqual([
      {
        time,
        alias: 'Production',
        from: 'v1',
        to: 'v2',
        reason: 'Promoted',
        message: 'Production: v1 → v2 (promoted)',
      },
      { time, alias: 'B', from: 'v2', to: 'v1', reason: 'Demoted', message: 'B: v2 → v1 (demoted)' },
    ]);
    expect(appendHistory([1, 2, 3], [4, 5], 4)).toEqual([2, 3, 4, 5]);
  });

  it('writes one entry for the aliases that change alike: the first version is one entry, not four', () => {
    expect(aliasChanges({}, enterNewVersion({}, 'v1', 'Shadow2'), () => 'FirstVersion', text, time)).toEqual([
      {
        time,
        alias: 'Production, B, Shadow1, Shadow2',
        to: 'v1',
        reason: 'FirstVersion',
        message: 'Production, B, Shadow1, Shadow2: none → v1 (first)',
      },
    ]);
    // a promotion with nothing else to rank: Production and B swap, the shadows follow together
    const entries = aliasChanges(
      { Production: 'v1', B: 'v2', Shadow1: 'v1', Shadow2: 'v1' },
      { Production: 'v2', B: 'v1', Shadow1: 'v2', Shadow2: 'v2' },
      (alias) => (alias === 'Production' ? 'Promoted' : alias === 'B' ? 'Demoted' : 'Ranked'),
      text,
      time,
    );
    expect(entries.map((e) => e.message)).toEqual([
      'Production: v1 → v2 (promoted)',
      'B: v2 → v1 (demoted)',
      'Shadow1, Shadow2: v1 → v2 (ranked)',
    ]);
    // the same versions for different reasons stay apart
    const pinnedAndRanked = aliasChanges(
      { Shadow1: 'v1', Shadow2: 'v1' },
      { Shadow1: 'v3', Shadow2: 'v3' },
      (alias) => (alias === 'Shadow1' ? 'Pinned' : 'Ranked'),
      text,
      time,
    );
    expect(pinnedAndRanked.map((e) => e.alias)).toEqual(['Shadow1', 'Shadow2']);
    expect(new Set(entries.map((e) => e.message)).size).toBe(entries.length);
  });

  it('protects every version an alias or pin points at', () => {
    expect([...protectedVersions({ Production: 'v3', B: 'v2' }, { Shadow1: 'v1' })].sort()).toEqual([
      'v1',
      'v2',
      'v3',
    ]);
  });
});
