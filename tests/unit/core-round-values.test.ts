import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MOVES, beatenBy, beats, isMove, moveIndex, rankedMoves, roundValues } from '../../core/index.ts';

// Expected values computed once, independently of this code, with Python's hashlib:
// python3 -c "
// import hashlib,sys;from decimal import Decimal as D,ROUND_HALF_UP as U;h=lambda s:int.from_bytes(hashlib.sha256(s.encode()).digest()[:2],'big');M=['rock','paper','scissors'];g,r=sys.argv[1],sys.argv[2];l=h(f'{g}:{r}:low')%3;b=D('1.1')+D(h(f'{g}:{r}:base')%5)/10;v={M[l]:D(1),M[(l+2)%3]:b+D('0.5'),M[(l+1)%3]:b};print([float(v[m].quantize(D('0.1'),U)) for m in M])" <gameId> <round>
// (prints [rock, paper, scissors])
const GOLDEN: [string, number, [number, number, number]][] = [
  ['abc', 1, [1.3, 1.8, 1.0]],
  ['abc', 2, [1.0, 1.1, 1.6]],
  ['abc', 3, [1.4, 1.9, 1.0]],
  ['game-1', 1, [1.2, 1.7, 1.0]],
  ['game-1', 2, [1.3, 1.8, 1.0]],
  ['game-1', 3, [1.3, 1.8, 1.0]],
  ['00000000-0000-0000-0000-000000000000', 1, [1.0, 1.2, 1.7]],
  ['00000000-0000-0000-0000-000000000000', 2, [1.2, 1.7, 1.0]],
  ['00000000-0000-0000-0000-000000000000', 3, [1.0, 1.2, 1.7]],
  ['3f2b8c1e-9d4a-4e6f-8b1a-2c3d4e5f6a7b', 1, [1.0, 1.5, 2.0]],
  ['3f2b8c1e-9d4a-4e6f-8b1a-2c3d4e5f6a7b', 2, [1.4, 1.9, 1.0]],
  ['3f2b8c1e-9d4a-4e6f-8b1a-2c3d4e5f6a7b', 3, [1.1, 1.6, 1.0]],
  ['cold-start-1-0', 1, [1.4, 1.9, 1.0]],
  ['cold-start-1-0', 2, [1.0, 1.5, 2.0]],
  ['cold-start-1-0', 3, [1.7, 1.0, 1.2]],
  ['Ünïcödé-spiel', 1, [1.0, 1.5, 2.0]],
  ['Ünïcödé-spiel', 2, [1.1, 1.6, 1.0]],
  ['Ünïcödé-spiel', 3, [1.6, 1.0, 1.1]],
  ['x', 1, [1.6, 1.0, 1.1]],
  ['x', 2, [1.0, 1.2, 1.7]],
  ['x', 3, [1.8, 1.0, 1.3]],
  ['abc', 100, [1.3, 1.8, 1.0]],
  ['game-1', 9999, [2.0, 1.0, 1.5]],
];

describe('moves', () => {
  it('has the class order rock, paper, scissors', () => {
    expect(MOVES).toEqual(['rock', 'paper', 'scissors']);
    expect(MOVES.map(moveIndex)).toEqual([0, 1, 2]);
  });

  it('knows who beats whom', () => {
    expect(MOVES.map(beats)).toEqual(['scissors', 'rock', 'paper']);
    expect(MOVES.map(beatenBy)).toEqual(['paper', 'scissors', 'rock']);
    for (const m of MOVES) expect(beats(beatenBy(m))).toBe(m);
  });

  it('recognises moves only', () => {
    expect(MOVES.every(isMove)).toBe(true);
    for (const x of ['Rock', 'lizard', '', null, undefined, 0, {}]) expect(isMove(x)).toBe(false);
  });
});

describe('roundValues', () => {
  it.each(GOLDEN)('matches the independently computed values of (%j, %i)', (gameId, round, expected) => {
    const v = roundValues(gameId, round);
    expect([v.rock, v.paper, v.scissors]).toEqual(expected);
  });

  it('keeps its invariants for any game id and round', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, unit: 'binary' }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (id, r) => {
          const v = roundValues(id, r);
          const list = MOVES.map((m) => v[m]);
          expect(new Set(list).size).toBe(3);
          for (const x of list) {
            expect(x).toBeGreaterThanOrEqual(1);
            expect(x).toBeLessThanOrEqual(2);
            expect(Math.round(x * 10) / 10).toBe(x);
          }
          const [highest, middle, lowest] = rankedMoves(v);
          expect(v[lowest]).toBe(1);
          expect(beatenBy(highest)).toBe(lowest);
          expect(Math.round((v[highest] - v[middle]) * 10)).toBe(5);
          expect(roundValues(id, r)).toEqual(v);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses rounds that do not exist and empty game ids', () => {
    expect(() => roundValues('abc', 0)).toThrow(RangeError);
    expect(() => roundValues('abc', 1.5)).toThrow(/integer >= 1/);
    expect(() => roundValues('', 1)).toThrow(/non-empty/);
  });
});

describe('rankedMoves', () => {
  it('orders by value, highest first', () => {
    expect(rankedMoves({ rock: 1.3, paper: 1.8, scissors: 1.0 })).toEqual(['paper', 'rock', 'scissors']);
    expect(rankedMoves({ rock: 1.0, paper: 1.2, scissors: 1.7 })).toEqual(['scissors', 'paper', 'rock']);
  });

  it('breaks ties rock > paper > scissors', () => {
    expect(rankedMoves({ rock: 1, paper: 1, scissors: 1 })).toEqual(['rock', 'paper', 'scissors']);
    expect(rankedMoves({ rock: 1, paper: 2, scissors: 2 })).toEqual(['paper', 'scissors', 'rock']);
    expect(rankedMoves({ rock: 2, paper: 1, scissors: 2 })).toEqual(['rock', 'scissors', 'paper']);
  });
});
