import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_SET,
  MOVES,
  coldStartCorpus,
  featureBatch,
  features,
  moveIndex,
  type Move,
  type PlayedRound,
  type RoundResult,
  type RoundValues,
} from '../../core/index.ts';

const V1 = { rock: 1.3, paper: 1.8, scissors: 1.0 }; // highest paper, its beater scissors, then rock
const V2 = { rock: 1.0, paper: 1.1, scissors: 1.6 }; // highest scissors, beater rock, then paper
const V3 = { rock: 1.4, paper: 1.9, scissors: 1.0 }; // highest paper, beater scissors, then rock
const V4 = { rock: 1.7, paper: 1.0, scissors: 1.2 }; // highest rock, beater paper, then scissors
const NOW = { rock: 1.0, paper: 1.5, scissors: 2.0 };

function pr(
  round: number,
  playerMove: Move,
  botMove: Move,
  values: RoundValues,
  result: RoundResult,
  playerScore: number,
  botScore: number,
): PlayedRound {
  return { round, playerMove, botMove, values, result, playerScore, botScore };
}

const HISTORY: PlayedRound[] = [
  pr(1, 'paper', 'rock', V1, 'win', 1.8, 0), // played highest
  pr(2, 'rock', 'rock', V2, 'draw', 2.3, 0.5), // played the move that beats highest
  pr(3, 'rock', 'paper', V3, 'lose', 2.3, 2.4), // played the third move
  pr(4, 'scissors', 'paper', V4, 'win', 3.5, 2.4), // played the third move
];

function expectFeatures(actual: Float32Array, expected: number[]): void {
  expect(expected).toHaveLength(FEATURE_COUNT);
  expect(actual).toHaveLength(FEATURE_COUNT);
  expected.forEach((v, i) => expect(actual[i], FEATURE_NAMES[i]).toBeCloseTo(v, 6));
}

describe('features rps-features/v1', () => {
  it('names 49 features in the documented order', () => {
    expect(FEATURE_SET).toBe('rps-features/v1');
    expect(FEATURE_COUNT).toBe(49);
    expect(new Set(FEATURE_NAMES).size).toBe(49);
    expect(FEATURE_NAMES.slice(0, 3)).toEqual([
      'player_move_lag1_rock',
      'player_move_lag1_paper',
      'player_move_lag1_scissors',
    ]);
    expect(FEATURE_NAMES[9]).toBe('bot_move_lag1_rock');
    expect(FEATURE_NAMES[18]).toBe('result_lag1_win');
    expect(FEATURE_NAMES[27]).toBe('value_rock');
    expect(FEATURE_NAMES[30]).toBe('value_lag1_rock');
    expect(FEATURE_NAMES[39]).toBe('player_share_rock');
    expect(FEATURE_NAMES[42]).toBe('tier_share_highest');
    expect(FEATURE_NAMES.slice(45)).toEqual([
      'score_difference',
      'player_points_to_win',
      'bot_points_to_win',
      'round',
    ]);
  });

  it('computes a full history (round 5)', () => {
    expectFeatures(features(HISTORY, 5, NOW), [
      ...[0, 0, 1, 1, 0, 0, 1, 0, 0], // player lag1 scissors, lag2 rock, lag3 rock
      ...[0, 1, 0, 0, 1, 0, 1, 0, 0], // bot lag1 paper, lag2 paper, lag3 rock
      ...[1, 0, 0, 0, 1, 0, 0, 0, 1], // results lag1 win, lag2 lose, lag3 draw
      ...[1.0, 1.5, 2.0], // this round's values
      ...[1.7, 1.0, 1.2, 1.4, 1.9, 1.0, 1.0, 1.1, 1.6], // values of rounds 4, 3, 2
      ...[2 / 4, 1 / 4, 1 / 4], // player move shares over 4 rounds
      ...[1 / 4, 1 / 4, 2 / 4], // highest, its beater, the third
      ...[3.5 - 2.4, 10 - 3.5, 10 - 2.4, 5], // score context
    ]);
  });

  it('zeros missing lags and repeats this round’s values for rounds that do not exist (round 3)', () => {
    expectFeatures(features(HISTORY.slice(0, 2), 3, NOW), [
      ...[1, 0, 0, 0, 1, 0, 0, 0, 0], // player lag1 rock, lag2 paper, lag3 missing
      ...[1, 0, 0, 1, 0, 0, 0, 0, 0],
      ...[0, 0, 1, 1, 0, 0, 0, 0, 0], // lag1 draw, lag2 win
      ...[1.0, 1.5, 2.0],
      ...[1.0, 1.1, 1.6, 1.3, 1.8, 1.0, 1.0, 1.5, 2.0], // lag3 repeats this round's values
      ...[1 / 2, 1 / 2, 0],
      ...[1 / 2, 1 / 2, 0],
      ...[2.3 - 0.5, 7.7, 9.5, 3],
    ]);
  });

  it('has only this round’s values and the starting score in round 1 (denominators at least 1)', () => {
    expectFeatures(features([], 1, NOW), [
      ...new Array<number>(27).fill(0),
      ...[1.0, 1.5, 2.0],
      ...[1.0, 1.5, 2.0, 1.0, 1.5, 2.0, 1.0, 1.5, 2.0],
      ...[0, 0, 0],
      ...[0, 0, 0],
      ...[0, 10, 10, 1],
    ]);
  });

  it('uses only rounds before the current one, so a whole game can be passed in', () => {
    expect(features(HISTORY, 3, NOW)).toEqual(features(HISTORY.slice(0, 2), 3, NOW));
    expect(features(HISTORY, 1, NOW)).toEqual(features([], 1, NOW));
  });

  it('breaks ties of value rock > paper > scissors for the value-tier tendency', () => {
    const tied = { rock: 1.5, paper: 1.5, scissors: 1.0 }; // highest = rock, its beater paper, then scissors
    const f = features([pr(1, 'paper', 'rock', tied, 'win', 1.5, 0)], 2, NOW);
    expect(Array.from(f.slice(42, 45))).toEqual([0, 1, 0]);
  });

  it('clamps points to win at zero', () => {
    const f = features([pr(1, 'rock', 'scissors', V1, 'win', 10, 0)], 2, NOW);
    expect(Array.from(f.slice(45))).toEqual([10, 0, 10, 2]);
  });

  it('is always 49 finite floats', () => {
    const move = fc.constantFrom<Move>(...MOVES);
    const value = fc.integer({ min: 10, max: 20 }).map((t) => t / 10);
    const values = fc.record({ rock: value, paper: value, scissors: value });
    const round = fc.record({
      playerMove: move,
      botMove: move,
      values,
      result: fc.constantFrom<RoundResult>('win', 'lose', 'draw'),
      playerScore: fc.integer({ min: 0, max: 100 }).map((t) => t / 10),
      botScore: fc.integer({ min: 0, max: 100 }).map((t) => t / 10),
    });
    fc.assert(
      fc.property(fc.array(round, { maxLength: 30 }), values, (rounds, now) => {
        const history = rounds.map((r, i) => ({ ...r, round: i + 1 }));
        const f = features(history, history.length + 1, now);
        expect(f).toBeInstanceOf(Float32Array);
        expect(f).toHaveLength(49);
        for (const x of f) expect(Number.isFinite(x)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('featureBatch', () => {
  const games = coldStartCorpus({ games: 16, seed: 7 }).map((g) => g.rounds);

  it('gives one row per round, exactly the served features, labelled with the player’s move', () => {
    const batch = featureBatch(games);
    const total = games.reduce((n, g) => n + g.length, 0);
    expect(batch.rows).toBe(total);
    expect(batch.x).toHaveLength(total * FEATURE_COUNT);
    expect(batch.y).toHaveLength(total);
    let row = 0;
    for (const g of games) {
      for (const [i, r] of g.entries()) {
        const served = features(g.slice(0, i), r.round, r.values);
        expect(batch.x.subarray(row * FEATURE_COUNT, (row + 1) * FEATURE_COUNT)).toEqual(served);
        expect(batch.y[row]).toBe(moveIndex(r.playerMove));
        row++;
      }
    }
  });

  it('starts at fromRound without changing the features of later rounds', () => {
    const all = featureBatch(games);
    const late = featureBatch(games, { fromRound: 4 });
    expect(late.rows).toBe(games.reduce((n, g) => n + g.filter((r) => r.round >= 4).length, 0));
    const first = games[0]!;
    expect(late.x.subarray(0, FEATURE_COUNT)).toEqual(all.x.subarray(3 * FEATURE_COUNT, 4 * FEATURE_COUNT));
    expect(late.y[0]).toBe(moveIndex(first[3]!.playerMove));
  });

  it('orders each game’s rounds by round number (export lines may arrive out of order)', () => {
    const shuffled = games.map((g) => [...g].reverse());
    expect(featureBatch(shuffled)).toEqual(featureBatch(games));
  });

  it('is empty for no games', () => {
    expect(featureBatch([])).toEqual({ x: new Float32Array(0), y: new Uint8Array(0), rows: 0 });
  });
});
