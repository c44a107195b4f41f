import { describe, expect, it } from 'vitest';
import {
  FEATURE_COUNT_V2,
  FEATURE_NAMES_V2,
  FeatureReaderV2,
  PREDICTOR_NAMES,
  coldStartCorpus,
  featureBatchV2,
  featureSet,
  featuresV2,
  newGame,
  playRound,
  rankedMoves,
  roundValues,
  type GameState,
} from '../../core/index.ts';

const at = (name: string) => {
  const i = FEATURE_NAMES_V2.indexOf(name);
  if (i < 0) throw new Error(`no feature ${name}`);
  return i;
};

/** A game in which the player always plays the highest-valued move and the bot always rock. */
function highestPlayer(rounds: number): GameState {
  let s = newGame('golden-v2', 'toolbox');
  for (let r = 1; r <= rounds && !s.finished; r++) {
    s = playRound(s, r, rankedMoves(roundValues(s.gameId, r))[0], 'rock');
  }
  return s;
}

describe('features rps-features/v2', () => {
  it('has one unique name per feature, and the registry serves this implementation', () => {
    expect(FEATURE_NAMES_V2).toHaveLength(FEATURE_COUNT_V2);
    expect(new Set(FEATURE_NAMES_V2).size).toBe(FEATURE_COUNT_V2);
    expect(PREDICTOR_NAMES.length * 4 + 15).toBe(FEATURE_COUNT_V2);
    const set = featureSet('rps-features/v2');
    expect(set.count).toBe(FEATURE_COUNT_V2);
    expect(set.features).toBe(featuresV2);
    expect(set.batch).toBe(featureBatchV2);
    expect(set.decision).toBe('sampled');
    expect(featureSet('rps-features/v1').decision).toBe('greedy');
    expect(() => featureSet('rps-features/v9')).toThrow(
      'unknown feature set "rps-features/v9"; supported: rps-features/v1, rps-features/v2',
    );
  });

  it('say nothing before the first round: every score at chance, no evidence, a uniform mixture', () => {
    const values = roundValues('golden-v2', 1);
    const x = featuresV2([], 1, values);
    for (const p of PREDICTOR_NAMES) {
      expect(x[at(`${p}_score`)]).toBeCloseTo(1 / 3, 6);
      for (const m of ['rock', 'paper', 'scissors']) expect(x[at(`${p}_${m}`)]).toBe(0);
    }
    expect([x[at('mixture_rock')], x[at('mixture_paper')], x[at('mixture_scissors')]]).toEqual([
      expect.closeTo(1 / 3, 6),
      expect.closeTo(1 / 3, 6),
      expect.closeTo(1 / 3, 6),
    ]);
    expect(x[at('mixture_weight')]).toBe(0);
    expect([x[at('value_rock')], x[at('value_paper')], x[at('value_scissors')]]).toEqual([
      expect.closeTo(values.rock, 6),
      expect.closeTo(values.paper, 6),
      expect.closeTo(values.scissors, 6),
    ]);
    expect([
      x[at('score_difference')],
      x[at('player_points_to_win')],
      x[at('bot_points_to_win')],
      x[at('round')],
    ]).toEqual([0, 10, 10, 1]);
  });

  it('golden values: three rounds of the highest-valued move make that predictor the best, on this round’s highest move', () => {
    const s = highestPlayer(3);
    const values = roundValues(s.gameId, 4);
    const x = featuresV2(s.rounds, 4, values);
    // three hits with decay 0.8 and one pseudo-round at chance: (0.64 + 0.8 + 1 + 1/3) / (2.44 + 1)
    const score = (0.64 + 0.8 + 1 + 1 / 3) / (2.44 + 1);
    expect(x[at('highest_value_score')]).toBeCloseTo(score, 5);
    const highest = rankedMoves(values)[0];
    expect(x[at(`highest_value_${highest}`)]).toBeCloseTo(score - 1 / 3, 5);
    expect(x[at(`best_${highest}`)]).toBe(1);
    expect(x[at('best_score')]).toBeCloseTo(score, 5);
    expect(x[at(`mixture_${highest}`)]).toBeGreaterThan(0.8);
    expect(x[at('round')]).toBe(4);
    expect(x[at('score_difference')]).toBeCloseTo(s.playerScore - s.botScore, 5);
  });

  it('are the same rows in training and serving (no train/serve skew), ignoring later rounds', () => {
    const games = coldStartCorpus({ games: 30, seed: 3 }).map((g) => g.rounds);
    const batch = featureBatchV2(games, { fromRound: 4 });
    let row = 0;
    for (const g of games) {
      for (const r of g) {
        if (r.round < 4) continue;
        const served = featuresV2(g, r.round, r.values);
        expect(Array.from(batch.x.subarray(row * FEATURE_COUNT_V2, (row + 1) * FEATURE_COUNT_V2))).toEqual(
          Array.from(served),
        );
        row++;
      }
    }
    expect(row).toBe(batch.rows);
    // shuffled rounds give the same rows
    const shuffled = games.map((g) => [...g].reverse());
    expect(Array.from(featureBatchV2(shuffled, { fromRound: 4 }).x)).toEqual(Array.from(batch.x));
  });

  it('read move after move from a live game, give exactly what the whole-game computation gives', () => {
    const [a, b] = coldStartCorpus({ games: 2, seed: 8 }).map((g) => g.rounds);
    const reader = new FeatureReaderV2();
    const check = (game: typeof a, upTo: number) => {
      for (let i = 0; i < upTo; i++) {
        const r = game![i]!;
        const served = reader.features(game!.slice(0, i), r.round, r.values);
        expect(Array.from(served)).toEqual(Array.from(featuresV2(game!, r.round, r.values)));
      }
    };
    check(a, a!.length);
    check(a, 3); // fewer rounds than read: starts over
    check(b, b!.length); // another game: starts over
    // the registry hands out one reader per live game
    const fromSet = featureSet('rps-features/v2').reader();
    const r = a!.at(-1)!;
    expect(Array.from(fromSet.features(a!, r.round, r.values))).toEqual(
      Array.from(featuresV2(a!, r.round, r.values)),
    );
  });
});
