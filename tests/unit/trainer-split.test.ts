import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SplitError, splitByGame } from '../../trainer/split.ts';

const games = (sizes: number[]) => sizes.map((n, i) => ({ id: i, rounds: new Array<number>(n).fill(0) }));

describe('split by game', () => {
  it('cuts oldest-first games at 60 % and 80 % of the rows', () => {
    const s = splitByGame(games(new Array(10).fill(10)));
    expect(s.train.map((g) => g.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.validation.map((g) => g.id)).toEqual([6, 7]);
    expect(s.test.map((g) => g.id)).toEqual([8, 9]);
  });

  it('puts every game in exactly one part, parts in time order, none empty', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 3, maxLength: 60 }), (sizes) => {
        const s = splitByGame(games(sizes));
        const ids = [...s.train, ...s.validation, ...s.test].map((g) => g.id);
        expect(ids).toEqual(sizes.map((_, i) => i));
        expect(s.train.length).toBeGreaterThan(0);
        expect(s.validation.length).toBeGreaterThan(0);
        expect(s.test.length).toBeGreaterThan(0);
      }),
    );
  });

  it('needs at least three games', () => {
    expect(() => splitByGame(games([50, 50]))).toThrow(SplitError);
    expect(() => splitByGame(games([50, 50]))).toThrow('the dataset has 2 game(s)');
  });
});
