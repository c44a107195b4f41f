import { describe, expect, it } from 'vitest';
import {
  SYNTHETIC_PLAYER_NAMES,
  createSyntheticPlayer,
  danWeights,
  roundResult,
  seededRandom,
  type Move,
  type PlayedRound,
  type PlayerView,
  type RoundValues,
  type SyntheticPlayerName,
} from '../../core/index.ts';

// highest paper, middle rock, lowest scissors; the move that beats the highest is scissors
const V: RoundValues = { rock: 1.3, paper: 1.8, scissors: 1.0 };

/** Earlier rounds from [player, bot] move pairs, all with values V. */
function history(...pairs: [Move, Move][]): PlayedRound[] {
  return pairs.map(([playerMove, botMove], i) => ({
    round: i + 1,
    playerMove,
    botMove,
    values: V,
    result: roundResult(playerMove, botMove),
    playerScore: 0,
    botScore: 0,
  }));
}

function view(previous: PlayedRound[], extra: Partial<PlayerView> = {}): PlayerView {
  return { round: previous.length + 1, values: V, previous, playerScore: 0, botScore: 0, ...extra };
}

const noRandom = () => {
  throw new Error('a deterministic player asked for randomness');
};

function play(name: SyntheticPlayerName, v: PlayerView, random: () => number = noRandom): Move {
  return createSyntheticPlayer(name, random).next(v);
}

// move pairs that give the player a win / loss / draw
const WIN: [Move, Move] = ['rock', 'scissors'];
const LOSE: [Move, Move] = ['rock', 'paper'];
const DRAW: [Move, Move] = ['rock', 'rock'];

describe('synthetic players', () => {
  it('are the eight scripted players, marked synthetic', () => {
    expect(SYNTHETIC_PLAYER_NAMES).toEqual(['Ace', 'Bob', 'Cal', 'Dan', 'Edd', 'Fox', 'Gus', 'Hal']);
    for (const name of SYNTHETIC_PLAYER_NAMES) {
      const p = createSyntheticPlayer(name, seededRandom(1));
      expect(p.name).toBe(name);
      expect(p.synthetic).toBe(true);
    }
    expect(() => createSyntheticPlayer('Zed' as SyntheticPlayerName, seededRandom(1))).toThrow(
      /unknown synthetic player "Zed"/,
    );
  });

  it('Ace plays the highest-valued move on a roll, otherwise beats its own previous move', () => {
    expect(play('Ace', view([]))).toBe('paper');
    expect(play('Ace', view(history(WIN, LOSE, WIN)))).toBe('paper');
    expect(play('Ace', view(history(WIN, LOSE, LOSE, ['scissors', 'scissors'])))).toBe('rock');
    expect(play('Ace', view(history(WIN, WIN, DRAW, LOSE, ['paper', 'rock'])))).toBe('scissors');
  });

  it('Bob cycles high, low, middle', () => {
    expect(play('Bob', view([], { round: 1 }))).toBe('paper');
    expect(play('Bob', view(history(LOSE)))).toBe('scissors');
    expect(play('Bob', view(history(LOSE, DRAW)))).toBe('rock');
    expect(play('Bob', view(history(LOSE, DRAW, LOSE)))).toBe('paper');
  });

  it('Bob counters the bot’s most frequent value tier after winning 2 of the last 3', () => {
    // bot played scissors (lowest) twice and paper (highest) once; Bob won the last two
    const h = history(['paper', 'scissors'], ['rock', 'scissors'], ['scissors', 'paper']);
    expect(h.map((r) => r.result)).toEqual(['lose', 'win', 'win']);
    const now: RoundValues = { rock: 1.0, paper: 1.1, scissors: 1.6 }; // highest scissors, lowest rock
    // the bot's favourite tier (lowest) is rock this round: paper counters it (the cycle would play scissors)
    expect(play('Bob', view(h, { values: now }))).toBe('paper');
    expect(play('Bob', view(history(LOSE, LOSE, WIN), { values: now }))).toBe('scissors');
  });

  it('Cal plays what beats the highest-valued move, the highest itself after 3 straight losses', () => {
    expect(play('Cal', view([]))).toBe('scissors');
    expect(play('Cal', view(history(LOSE, LOSE)))).toBe('scissors');
    expect(play('Cal', view(history(WIN, LOSE, LOSE, LOSE)))).toBe('paper');
    expect(play('Cal', view(history(LOSE, LOSE, LOSE, DRAW)))).toBe('scissors');
  });

  it('Dan weights highest by its value, its beater 0.30, the rest to the third move', () => {
    const base = danWeights(view([]));
    expect(base.moves).toEqual(['paper', 'scissors', 'rock']);
    expect(base.weights[0]).toBeCloseTo(0.4, 10); // 1.8 - 1.4
    expect(base.weights[1]).toBeCloseTo(0.3, 10);
    expect(base.weights[2]).toBeCloseTo(0.3, 10);
    const high = danWeights(view([], { values: { rock: 2.0, paper: 1.0, scissors: 1.5 } }));
    expect(high.moves).toEqual(['rock', 'paper', 'scissors']);
    [0.6, 0.3, 0.1].forEach((w, i) => expect(high.weights[i]).toBeCloseTo(w, 10)); // clamped down to 0.60
    const low = danWeights(view([], { values: { rock: 1.0, paper: 1.1, scissors: 1.45 } })).weights;
    expect(low[0]).toBeCloseTo(0.1, 10); // clamped up to 0.10
    expect(low[2]).toBeCloseTo(0.6, 10);
  });

  it('Dan leans to the highest after a loss, to the beater when behind, to the counter of a dominant bot move', () => {
    const afterLoss = danWeights(view(history(['paper', 'scissors'], ['scissors', 'rock']))).weights;
    // +0.15 after the loss; bot rock and scissors once each: rock (ties go rock first) is half of
    // the bot's moves, so its counter paper (here the highest) gets +0.10 as well
    expect(afterLoss[0]).toBeCloseTo(0.65, 10);
    expect(afterLoss[1]).toBeCloseTo(0.3, 10);
    expect(afterLoss[2]).toBeCloseTo(0.3, 10);
    const behind = danWeights(
      view(history(DRAW, ['paper', 'paper'], ['scissors', 'scissors']), { playerScore: 1, botScore: 2 }),
    );
    // bot moves rock, paper, scissors: none is at least half → no counter bonus; last round a draw
    expect(behind.weights[0]).toBeCloseTo(0.4, 10);
    expect(behind.weights[1]).toBeCloseTo(0.4, 10);
    expect(behind.weights[2]).toBeCloseTo(0.3, 10);
    const dominant = danWeights(
      view(history(['rock', 'paper'], ['paper', 'paper'], ['paper', 'rock'], ['scissors', 'scissors'])),
    ).weights;
    // bot paper 2 of 4 → counter scissors (the beater of the highest) +0.10; last round a draw
    expect(dominant[0]).toBeCloseTo(0.4, 10);
    expect(dominant[1]).toBeCloseTo(0.4, 10);
    expect(dominant[2]).toBeCloseTo(0.3, 10);
  });

  it('Dan samples its renormalised weights from the injected random source', () => {
    const random = seededRandom(3);
    const v = view([]);
    const counts: Record<Move, number> = { rock: 0, paper: 0, scissors: 0 };
    const n = 20_000;
    const dan = createSyntheticPlayer('Dan', random);
    for (let i = 0; i < n; i++) counts[dan.next(v)]++;
    expect(counts.paper / n).toBeCloseTo(0.4, 1);
    expect(counts.scissors / n).toBeCloseTo(0.3, 1);
    expect(counts.rock / n).toBeCloseTo(0.3, 1);
    const again = createSyntheticPlayer('Dan', seededRandom(3));
    const first = createSyntheticPlayer('Dan', seededRandom(3));
    expect(Array.from({ length: 50 }, () => again.next(v))).toEqual(
      Array.from({ length: 50 }, () => first.next(v)),
    );
  });

  it('Edd plays the highest-valued move after a loss, otherwise counters the bot’s most common move', () => {
    expect(play('Edd', view([]))).toBe('paper');
    expect(play('Edd', view(history(['rock', 'rock'], ['paper', 'rock'], LOSE)))).toBe('paper');
    expect(play('Edd', view(history(['scissors', 'rock'], ['paper', 'rock'], ['scissors', 'paper'])))).toBe(
      'paper',
    );
    expect(play('Edd', view(history(['rock', 'scissors'], ['paper', 'paper'], ['rock', 'scissors'])))).toBe(
      'rock',
    );
  });

  it('Fox plays lowest when ahead, counters the bot’s least common move when behind, middle when level', () => {
    const h = history(['rock', 'rock'], ['rock', 'rock'], ['scissors', 'paper']);
    expect(play('Fox', view(h, { playerScore: 3, botScore: 1 }))).toBe('scissors');
    expect(play('Fox', view(h, { playerScore: 1, botScore: 3 }))).toBe('rock'); // least common: scissors
    expect(play('Fox', view(h, { playerScore: 2, botScore: 2 }))).toBe('rock');
    expect(play('Fox', view([]))).toBe('rock');
  });

  it('Gus plays the highest-valued move, the move that beats it after the bot went high twice running', () => {
    expect(play('Gus', view([]))).toBe('paper');
    expect(play('Gus', view(history(['rock', 'paper'], ['paper', 'rock'])))).toBe('paper');
    expect(play('Gus', view(history(['scissors', 'paper'], ['paper', 'paper'])))).toBe('scissors');
  });

  it('Gus plays at random after 2 straight losses', () => {
    const lost = view(history(LOSE, LOSE));
    expect(play('Gus', lost, () => 0)).toBe('rock');
    expect(play('Gus', lost, () => 0.5)).toBe('paper');
    expect(play('Gus', lost, () => 0.99)).toBe('scissors');
    const gus = createSyntheticPlayer('Gus', seededRandom(9));
    expect(new Set(Array.from({ length: 60 }, () => gus.next(lost))).size).toBe(3);
  });

  it('Hal plays the middle-valued move, after 3 straight losses beats the bot move it lost to most', () => {
    expect(play('Hal', view([]))).toBe('rock');
    expect(play('Hal', view(history(LOSE, LOSE, WIN)))).toBe('rock');
    // lost to paper twice and to scissors once → play scissors
    const h = history(['rock', 'paper'], ['paper', 'scissors'], ['rock', 'paper']);
    expect(play('Hal', view(h))).toBe('scissors');
  });
});
