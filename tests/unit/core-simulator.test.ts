import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GAMBITS,
  SYNTHETIC_PLAYER_NAMES,
  TRAINING_FAMILIES,
  UNIFORM,
  WIN_SCORE,
  coldStartCorpus,
  createSyntheticPlayer,
  gambitMove,
  roundResult,
  roundValues,
  seededRandom,
  simulateGame,
  zooMembers,
  type Predictor,
  type SyntheticPlayerName,
} from '../../core/index.ts';

const uniform: Predictor = () => UNIFORM;

describe('simulateGame', () => {
  it('plays a whole game in the shape the app stores', () => {
    const g = simulateGame({
      gameId: 'sim-1',
      player: createSyntheticPlayer('Cal', seededRandom(1)),
      predictor: uniform,
      random: seededRandom(2),
    });
    expect(g.gameId).toBe('sim-1');
    expect(g.player).toBe('Cal');
    expect(GAMBITS.map((x) => x.name)).toContain(g.gambit);
    g.rounds.forEach((r, i) => {
      expect(r.round).toBe(i + 1);
      expect(r.values).toEqual(roundValues('sim-1', r.round));
      expect(r.result).toBe(roundResult(r.playerMove, r.botMove));
      if (r.round <= 3) expect(r.botMove).toBe(gambitMove(g.gambit, r.round as 1 | 2 | 3, r.values));
    });
    const last = g.rounds.at(-1)!;
    expect([g.playerScore, g.botScore]).toEqual([last.playerScore, last.botScore]);
    expect(Math.max(g.playerScore, g.botScore)).toBe(WIN_SCORE);
    expect(g.winner).toBe(g.playerScore > g.botScore ? 'player' : g.botScore > g.playerScore ? 'bot' : 'tie');
  });

  it('hands the player only the earlier rounds and the current values', () => {
    const seen: number[] = [];
    simulateGame({
      gameId: 'sim-view',
      player: {
        name: 'watcher',
        synthetic: false,
        next: (view) => {
          expect(view.previous).toHaveLength(view.round - 1);
          expect(view.values).toEqual(roundValues('sim-view', view.round));
          expect(view.playerScore).toBe(view.previous.at(-1)?.playerScore ?? 0);
          seen.push(view.round);
          return 'rock';
        },
      },
      predictor: uniform,
      random: seededRandom(3),
    });
    expect(seen).toEqual(seen.map((_, i) => i + 1));
  });

  it('gives a game cut off by maxRounds to the side ahead', () => {
    const g = simulateGame({
      gameId: 'sim-cut',
      player: createSyntheticPlayer('Hal', seededRandom(1)),
      predictor: uniform,
      random: seededRandom(4),
      maxRounds: 2,
    });
    expect(g.rounds).toHaveLength(2);
    expect(g.winner).toBe(g.playerScore > g.botScore ? 'player' : g.botScore > g.playerScore ? 'bot' : 'tie');
  });

  it('ends every game within 20 rounds with scores never above 10, whoever plays', () => {
    const name = fc.constantFrom<SyntheticPlayerName>(...SYNTHETIC_PLAYER_NAMES);
    const probabilities = fc
      .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([a, b]) => [a, b, 1] as const);
    fc.assert(
      fc.property(fc.uuid(), name, fc.integer(), probabilities, (id, player, seed, p) => {
        const g = simulateGame({
          gameId: id,
          player: createSyntheticPlayer(player, seededRandom(seed)),
          predictor: () => p,
          random: seededRandom(seed + 1),
        });
        expect(g.rounds.length).toBeLessThanOrEqual(20);
        expect(Math.max(g.playerScore, g.botScore)).toBe(WIN_SCORE);
        for (const r of g.rounds) {
          expect(r.playerScore).toBeLessThanOrEqual(WIN_SCORE);
          expect(r.botScore).toBeLessThanOrEqual(WIN_SCORE);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('coldStartCorpus', () => {
  it('reproduces 200 games of the training families byte for byte from the same seed', () => {
    const a = coldStartCorpus({ games: 200, seed: 2024 });
    const b = coldStartCorpus({ games: 200, seed: 2024 });
    expect(a).toHaveLength(200);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(coldStartCorpus({ games: 200, seed: 2025 }))).not.toBe(JSON.stringify(a));
  });

  it('plays the training families in turn and never a held-out one, each game with its own id, against varied gambits', () => {
    const corpus = coldStartCorpus({ games: 80, seed: 5 });
    const training = zooMembers({ heldOut: false });
    expect(corpus.map((g) => g.player)).toEqual(
      Array.from({ length: 80 }, (_, i) => training[i % training.length]!.name),
    );
    const heldOut = new Set(zooMembers({ heldOut: true }).map((m) => m.name));
    const all = coldStartCorpus({ games: training.length * 2, seed: 5 });
    expect(all.filter((g) => heldOut.has(g.player))).toEqual([]);
    expect(new Set(all.map((g) => g.player.split('/')[0]))).toEqual(new Set(TRAINING_FAMILIES));
    // the eight named players are a training family of their own
    for (const name of SYNTHETIC_PLAYER_NAMES) expect(all.map((g) => g.player)).toContain(`scripted/${name}`);
    expect(new Set(corpus.map((g) => g.gameId)).size).toBe(80);
    expect(new Set(corpus.map((g) => g.gambit)).size).toBeGreaterThan(5);
    expect(new Set(corpus.map((g) => g.winner))).toContain('bot');
    expect(new Set(corpus.map((g) => g.winner))).toContain('player');
  });

  it('narrows to the training families asked for, in the same turn order, and refuses a held-out one', () => {
    const without = TRAINING_FAMILIES.filter((f) => f !== 'sequence');
    const corpus = coldStartCorpus({ games: 60, seed: 5, families: without });
    const members = zooMembers({ heldOut: false }).filter((m) => m.family !== 'sequence');
    expect(corpus.map((g) => g.player)).toEqual(
      Array.from({ length: 60 }, (_, i) => members[i % members.length]!.name),
    );
    expect(corpus.filter((g) => g.player.startsWith('sequence/'))).toEqual([]);
    expect(JSON.stringify(coldStartCorpus({ games: 30, seed: 5, families: TRAINING_FAMILIES }))).toBe(
      JSON.stringify(coldStartCorpus({ games: 30, seed: 5 })),
    );
    expect(() => coldStartCorpus({ games: 5, seed: 5, families: ['constant' as never] })).toThrow(
      /training families .*biased.*got \["constant"\]/,
    );
    expect(() => coldStartCorpus({ games: 5, seed: 5, families: [] })).toThrow(
      /one or more training families/,
    );
  });

  it('refuses a negative number of games', () => {
    expect(() => coldStartCorpus({ games: -1, seed: 1 })).toThrow(/games must be an integer >= 0/);
    expect(coldStartCorpus({ games: 0, seed: 1 })).toEqual([]);
  });
});
