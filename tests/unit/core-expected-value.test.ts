import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MOVES,
  UNIFORM,
  botMove,
  decideMove,
  features,
  gambitMove,
  newGame,
  playRound,
  roundValues,
  seededRandom,
  simulateGame,
  type Move,
  type PlayerStrategy,
  type Predictor,
  type Probabilities,
} from '../../core/index.ts';

const V = { rock: 1.3, paper: 1.8, scissors: 1.0 };

function expectEv(actual: [number, number, number], expected: [number, number, number]): void {
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 10));
}

describe('decideMove', () => {
  it('plays the argmax of the expected values', () => {
    // rock: .2*1.3 - .3*1.8 = -0.28; paper: .5*1.8 - .2*1.0 = 0.7; scissors: .3*1.0 - .5*1.3 = -0.35
    const d = decideMove([0.5, 0.3, 0.2], V, 0, 0);
    expectEv(d.ev, [-0.28, 0.7, -0.35]);
    expect(d).toMatchObject({ move: 'paper', fallback: false });
  });

  it('adds the win bonus to a move that would end the game for the bot', () => {
    // bot 8.5: paper reaches 10.3 (bonus), rock 9.8 and scissors 9.5 do not; tie term .5*8.5/10 = .425 per p(m)
    const d = decideMove([0.2, 0.1, 0.7], V, 8.5, 0);
    expectEv(d.ev, [
      0.7 * 1.3 - 0.1 * 1.8 + 0.2 * 0.425,
      0.2 * 11.8 - 0.7 * 1.0 + 0.1 * 0.425,
      0.1 - 0.26 + 0.7 * 0.425,
    ]);
    expect(d.move).toBe('paper');
    // without the bonus rock would be best: the bonus changed the decision
    expect(0.2 * 1.8 - 0.7 + 0.1 * 0.425).toBeLessThan(d.ev[0]);
  });

  it('gives the bonus at exactly 10 points', () => {
    // bot 9.0 + scissors 1.0 = 10.0
    const d = decideMove([0, 1, 0], V, 9, 0);
    expectEv(d.ev, [-1.8, 0.45, 11]);
    expect(d.move).toBe('scissors');
  });

  it('subtracts the lose penalty when the player’s counter would end the game', () => {
    // player 8.5: paper (beats rock) reaches 10.3, scissors 9.5 and rock 9.8 do not
    const d = decideMove([0.3, 0.4, 0.3], V, 0, 8.5);
    expectEv(d.ev, [
      0.3 * 1.3 - 0.4 * 11.8 - 0.3 * 0.425,
      0.3 * 1.8 - 0.3 * 1.0 - 0.4 * 0.425,
      0.4 - 0.39 - 0.3 * 0.425,
    ]);
    expect(d.move).toBe('paper');
  });

  it('weights draws by the score difference', () => {
    const ahead = decideMove([1, 0, 0], V, 6, 2);
    expectEv(ahead.ev, [0.5 * 0.4, 1.8, -1.3]);
    const behind = decideMove([1, 0, 0], V, 2, 6);
    expect(behind.ev[0]).toBeCloseTo(-0.2, 10);
  });

  it('breaks ties in the order rock, paper, scissors', () => {
    expect(decideMove(UNIFORM, { rock: 1, paper: 1, scissors: 1 }, 0, 0).move).toBe('rock');
    // rock -0.5, paper 0.25, scissors 0.25
    const d = decideMove([0.25, 0.5, 0], { rock: 1, paper: 1, scissors: 1 }, 0, 0);
    expect(d.ev).toEqual([-0.5, 0.25, 0.25]);
    expect(d.move).toBe('paper');
  });

  it('falls back to uniform probabilities when there is no usable prediction', () => {
    const uniform = decideMove(UNIFORM, V, 3, 4);
    for (const p of [null, [NaN, 0.5, 0.5], [0, 0, 0], [-1, 1, 1], [0.5, 0.5]] as (Probabilities | null)[]) {
      const d = decideMove(p, V, 3, 4);
      expect(d.fallback).toBe(true);
      expect(d.move).toBe(uniform.move);
      expect(d.ev).toEqual(uniform.ev);
    }
    expect(uniform.fallback).toBe(false);
    // uniform: (highest - lowest)/3 > 0 for the highest-valued move, so it plays paper here
    expect(decideMove(null, V, 0, 0).move).toBe('paper');
  });
});

describe('botMove', () => {
  const state = newGame('abc', 'razor');

  it('plays the gambit in rounds 1-3 without asking the model', () => {
    const predictor: Predictor = () => {
      throw new Error('must not be called');
    };
    let s = state;
    for (const round of [1, 2, 3] as const) {
      const values = roundValues('abc', round);
      const b = botMove(s, round, values, predictor);
      expect(b).toEqual({ move: gambitMove('razor', round, values), fallback: false, probabilities: null });
      s = playRound(s, round, 'rock', b.move);
    }
  });

  it('from round 4 feeds the model the features of earlier rounds and applies the EV rule', () => {
    let s = state;
    for (const round of [1, 2, 3]) s = playRound(s, round, 'rock', 'paper');
    const values = roundValues('abc', 4);
    const seen: Float32Array[] = [];
    const p: Probabilities = [0.1, 0.2, 0.7];
    const b = botMove(s, 4, values, (f) => {
      seen.push(f);
      return p;
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual(features(s.rounds, 4, values));
    expect(b).toEqual({
      move: decideMove(p, values, s.botScore, s.playerScore).move,
      fallback: false,
      probabilities: p,
    });
  });

  it('falls back to uniform when the model returns nothing or throws', () => {
    let s = state;
    for (const round of [1, 2, 3]) s = playRound(s, round, 'rock', 'rock');
    const values = roundValues('abc', 4);
    const uniform = decideMove(null, values, s.botScore, s.playerScore).move;
    expect(botMove(s, 4, values, () => null)).toEqual({ move: uniform, fallback: true, probabilities: null });
    const failing: Predictor = () => {
      throw new Error('model crashed');
    };
    expect(botMove(s, 4, values, failing)).toEqual({ move: uniform, fallback: true, probabilities: null });
  });

  it('never depends on the current round’s player move', () => {
    // Two players that agree on every round except round k: the bot's move in round k must be the same.
    fc.assert(
      fc.property(fc.uuid(), fc.integer(), fc.integer({ min: 1, max: 12 }), (id, seed, k) => {
        const scripted = (divergeAt: number): PlayerStrategy => {
          const random = seededRandom(seed);
          return {
            name: 'scripted',
            synthetic: true,
            next: (view) => {
              const m = MOVES[Math.floor(random() * 3)]!;
              return view.round === divergeAt ? (MOVES[(MOVES.indexOf(m) + 1) % 3] as Move) : m;
            },
          };
        };
        const predictor: Predictor = (f) => {
          const t = Math.abs(Math.sin(f.reduce((a, x, i) => a + x * (i + 1), 0))) + 0.01;
          return [t, 1 - t / 2, 0.5];
        };
        const a = simulateGame({ gameId: id, player: scripted(-1), predictor, random: seededRandom(seed) });
        const b = simulateGame({ gameId: id, player: scripted(k), predictor, random: seededRandom(seed) });
        const upTo = Math.min(k, a.rounds.length, b.rounds.length);
        for (let r = 0; r < upTo; r++) expect(b.rounds[r]!.botMove).toBe(a.rounds[r]!.botMove);
        if (b.rounds.length >= k) expect(b.rounds[k - 1]!.playerMove).not.toBe(a.rounds[k - 1]!.playerMove);
      }),
      { numRuns: 1000 },
    );
  });
});
