import { describe, expect, it } from 'vitest';
import {
  GAMBITS,
  OPENING_ROUNDS,
  drawGambit,
  gambitMove,
  seededRandom,
  type GambitName,
  type Move,
} from '../../core/index.ts';

// highest paper, middle rock, lowest scissors
const VALUES = { rock: 1.3, paper: 1.8, scissors: 1.0 };
const BY_RANK: Record<'H' | 'M' | 'L', Move> = { H: 'paper', M: 'rock', L: 'scissors' };

const TABLE: [GambitName, number, string][] = [
  ['crescendo', 14, 'LMH'],
  ['denouement', 12, 'HML'],
  ['paper-dolls', 12, 'LMM'],
  ['fistful-of-dollars', 10, 'HLL'],
  ['scissor-sandwich', 8, 'LML'],
  ['bureaucrat', 6, 'LLL'],
  ['avalanche', 8, 'HHH'],
  ['toolbox', 6, 'MMM'],
  ['razor', 12, 'MLH'],
  ['switchblade', 12, 'MHL'],
];

describe('gambits', () => {
  it('are the ten documented openings with their weights', () => {
    expect(GAMBITS.map((g) => [g.name, g.weight, g.ranks.join('')])).toEqual(TABLE);
    expect(OPENING_ROUNDS).toBe(3);
  });

  it.each(TABLE)('%s plays its value ranks in rounds 1-3', (name, _weight, ranks) => {
    const moves = ([1, 2, 3] as const).map((r) => gambitMove(name, r, VALUES));
    expect(moves).toEqual([...ranks].map((r) => BY_RANK[r as 'H' | 'M' | 'L']));
  });

  it('resolves ranks per round from that round’s values', () => {
    const other = { rock: 1.0, paper: 1.2, scissors: 1.7 };
    expect(gambitMove('avalanche', 1, VALUES)).toBe('paper');
    expect(gambitMove('avalanche', 2, other)).toBe('scissors');
  });

  it('draws by cumulative weight from the injected random source', () => {
    expect(drawGambit(() => 0)).toBe('crescendo');
    expect(drawGambit(() => 0.1399)).toBe('crescendo');
    expect(drawGambit(() => 0.1401)).toBe('denouement');
    expect(drawGambit(() => 0.9999)).toBe('switchblade');
  });

  it('draws each gambit about as often as its weight says', () => {
    const random = seededRandom(42);
    const counts = new Map<GambitName, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const g = drawGambit(random);
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    for (const [name, weight] of TABLE) expect((counts.get(name) ?? 0) / n).toBeCloseTo(weight / 100, 1);
  });

  it('refuses unknown gambits and rounds', () => {
    expect(() => gambitMove('yolo' as GambitName, 1, VALUES)).toThrow(/unknown gambit "yolo"/);
    expect(() => gambitMove('razor', 4 as 1, VALUES)).toThrow(RangeError);
  });
});
