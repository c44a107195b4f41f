import { describe, expect, it } from 'vitest';
import {
  ADAPTIVE_FAMILY,
  HELD_OUT_FAMILIES,
  PREDICTABLE_FAMILIES,
  STRATEGY_ZOO,
  TRAINING_FAMILIES,
  UNIFORM,
  seededRandom,
  simulateGame,
  zooMember,
  zooMembers,
  featureSet,
} from '../../core/index.ts';

const v2 = featureSet('rps-features/v2');

function play(name: string, seed: number) {
  return simulateGame({
    gameId: `zoo-${name}-${seed}`,
    player: zooMember(name).create(seededRandom(seed)),
    predictor: () => UNIFORM,
    featureSet: v2,
    random: seededRandom(seed + 1),
  });
}

describe('strategy zoo', () => {
  it('has dozens of members in every family, training and held-out families apart', () => {
    expect(STRATEGY_ZOO.length).toBeGreaterThanOrEqual(100);
    for (const f of [...TRAINING_FAMILIES, ...HELD_OUT_FAMILIES])
      expect(zooMembers({ family: f }).length).toBeGreaterThan(0);
    expect(TRAINING_FAMILIES.filter((f) => (HELD_OUT_FAMILIES as readonly string[]).includes(f))).toEqual([]);
    for (const m of STRATEGY_ZOO) {
      expect(m.name.startsWith(`${m.family}/`)).toBe(true);
      expect(m.heldOut).toBe((HELD_OUT_FAMILIES as readonly string[]).includes(m.family));
    }
    expect(new Set(STRATEGY_ZOO.map((m) => m.name)).size).toBe(STRATEGY_ZOO.length);
    expect(PREDICTABLE_FAMILIES.every((f) => (HELD_OUT_FAMILIES as readonly string[]).includes(f))).toBe(
      true,
    );
    expect(HELD_OUT_FAMILIES).toContain(ADAPTIVE_FAMILY);
  });

  it('plays the same game from the same seed, for every member', () => {
    for (const m of STRATEGY_ZOO) {
      const a = play(m.name, 11);
      const b = play(m.name, 11);
      expect(JSON.stringify(b.rounds), m.name).toBe(JSON.stringify(a.rounds));
      expect(a.rounds.length).toBeGreaterThan(0);
      expect(a.player).toBe(m.name);
    }
  });

  it('plays what each member is named for', () => {
    const rock = play('constant/rock', 3);
    expect(rock.rounds.every((r) => r.playerMove === 'rock')).toBe(true);
    const highest = play('value-tier/always-highest', 3);
    for (const r of highest.rounds) {
      expect(r.values[r.playerMove]).toBe(Math.max(r.values.rock, r.values.paper, r.values.scissors));
    }
    const cycle = play('cycle/rock-paper-scissors', 3);
    expect(cycle.rounds.slice(0, 3).map((r) => r.playerMove)).toEqual(['rock', 'paper', 'scissors']);
    const beat = play('bot-reactive/beat-bot-last', 3);
    const beats = { rock: 'paper', paper: 'scissors', scissors: 'rock' } as const;
    for (let i = 1; i < beat.rounds.length; i++) {
      expect(beat.rounds[i]!.playerMove).toBe(beats[beat.rounds[i - 1]!.botMove]);
    }
  });

  it('names an unknown member and lists the families', () => {
    expect(() => zooMember('constant/lizard')).toThrow(
      /unknown strategy "constant\/lizard".*families: biased/,
    );
  });
});
