import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GameError,
  GameFinishedError,
  InvalidMoveError,
  MOVES,
  RoundOutOfOrderError,
  WIN_SCORE,
  hp,
  newGame,
  playRound,
  roundValues,
  type GameState,
  type Move,
  type PlayedRound,
} from '../../core/index.ts';

// 'abc' round 1 values (golden): rock 1.3, paper 1.8, scissors 1.0.
const moveArb = fc.constantFrom<Move>(...MOVES);

/** A game of `gameId` whose next round is `rounds + 1`, with the given scores. */
function stateAt(gameId: string, rounds: number, playerScore: number, botScore: number): GameState {
  const filler: PlayedRound[] = Array.from({ length: rounds }, (_, i) => ({
    round: i + 1,
    playerMove: 'rock',
    botMove: 'rock',
    values: roundValues(gameId, i + 1),
    result: 'draw',
    playerScore,
    botScore,
  }));
  return { ...newGame(gameId, 'toolbox'), rounds: filler, playerScore, botScore };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('game state machine', () => {
  it('starts empty at 0:0 with the gambit stored', () => {
    expect(newGame('g', 'razor')).toEqual({
      gameId: 'g',
      gambit: 'razor',
      rounds: [],
      playerScore: 0,
      botScore: 0,
      finished: false,
      winner: null,
    });
  });

  it('gives the round winner the value of their own move', () => {
    const won = playRound(newGame('abc', 'toolbox'), 1, 'paper', 'rock');
    expect(won.rounds[0]).toEqual({
      round: 1,
      playerMove: 'paper',
      botMove: 'rock',
      values: { rock: 1.3, paper: 1.8, scissors: 1.0 },
      result: 'win',
      playerScore: 1.8,
      botScore: 0,
    });
    const lost = playRound(newGame('abc', 'toolbox'), 1, 'paper', 'scissors');
    expect([lost.rounds[0]!.result, lost.playerScore, lost.botScore]).toEqual(['lose', 0, 1.0]);
    const drawn = playRound(newGame('abc', 'toolbox'), 1, 'rock', 'rock');
    expect([drawn.rounds[0]!.result, drawn.playerScore, drawn.botScore]).toEqual(['draw', 0.5, 0.5]);
    expect(drawn.finished).toBe(false);
  });

  it('returns a new state and leaves the old one as it was', () => {
    const start = newGame('abc', 'toolbox');
    const next = playRound(start, 1, 'paper', 'rock');
    expect(start.rounds).toHaveLength(0);
    expect(start.playerScore).toBe(0);
    expect(next).not.toBe(start);
  });

  it('keeps scores on the tenth grid over many rounds', () => {
    let s = newGame('abc', 'toolbox');
    s = playRound(s, 1, 'rock', 'scissors'); // +1.3
    s = playRound(s, 2, 'scissors', 'paper'); // +1.6 ('abc' round 2: 1.0, 1.1, 1.6)
    expect(s.playerScore).toBe(2.9);
  });

  it('ends the game at 10 points and clamps the score to exactly 10', () => {
    const s = playRound(stateAt('abc', 0, 9.5, 3), 1, 'paper', 'rock');
    expect(s.finished).toBe(true);
    expect(s.winner).toBe('player');
    expect(s.playerScore).toBe(WIN_SCORE);
    expect(s.rounds[0]!.playerScore).toBe(WIN_SCORE);
    const b = playRound(stateAt('abc', 0, 2, 9), 1, 'rock', 'paper');
    expect([b.finished, b.winner, b.botScore]).toEqual([true, 'bot', 10]);
  });

  it('counts a score within 1e-6 of 10 as 10', () => {
    const s = playRound(stateAt('abc', 0, 9.4999996, 0), 1, 'rock', 'rock');
    expect(s.playerScore).toBe(10);
    expect(s.winner).toBe('player');
  });

  it('does not end the game below 10', () => {
    const s = playRound(stateAt('abc', 0, 9.4, 0), 1, 'rock', 'rock');
    expect([s.finished, s.winner, s.playerScore]).toEqual([false, null, 9.9]);
  });

  it('when both reach 10 on a draw, the higher score wins and equal scores tie', () => {
    const tie = playRound(stateAt('abc', 0, 9.5, 9.5), 1, 'scissors', 'scissors');
    expect([tie.finished, tie.winner, tie.playerScore, tie.botScore]).toEqual([true, 'tie', 10, 10]);
    const player = playRound(stateAt('abc', 0, 9.7, 9.5), 1, 'rock', 'rock');
    expect([player.winner, player.playerScore, player.botScore]).toEqual(['player', 10, 10]);
    const bot = playRound(stateAt('abc', 0, 9.6, 9.8), 1, 'paper', 'paper');
    expect(bot.winner).toBe('bot');
  });

  it('refuses moves after the end with GameFinishedError', () => {
    const done = playRound(stateAt('abc', 0, 9.5, 0), 1, 'paper', 'rock');
    const e = caught(() => playRound(done, 2, 'rock', 'rock'));
    expect(e).toBeInstanceOf(GameFinishedError);
    expect(e).toBeInstanceOf(GameError);
    expect((e as GameError).code).toBe('GAME_FINISHED');
    expect((e as Error).message).toContain('abc');
  });

  it('refuses out-of-order rounds with RoundOutOfOrderError', () => {
    const s = playRound(newGame('abc', 'toolbox'), 1, 'rock', 'rock');
    for (const got of [1, 3, 0]) {
      const e = caught(() => playRound(s, got, 'rock', 'rock'));
      expect(e).toBeInstanceOf(RoundOutOfOrderError);
      expect((e as RoundOutOfOrderError).code).toBe('ROUND_OUT_OF_ORDER');
      expect((e as RoundOutOfOrderError).expected).toBe(2);
      expect((e as RoundOutOfOrderError).got).toBe(got);
    }
  });

  it('refuses invalid moves with InvalidMoveError', () => {
    const e = caught(() => playRound(newGame('abc', 'toolbox'), 1, 'lizard' as Move, 'rock'));
    expect(e).toBeInstanceOf(InvalidMoveError);
    expect((e as GameError).code).toBe('INVALID_MOVE');
    expect((e as Error).message).toMatch(/lizard.*rock, paper, scissors/);
    expect(() => playRound(newGame('abc', 'toolbox'), 1, 'rock', 'spock' as Move)).toThrow(InvalidMoveError);
  });

  it('never lets a score exceed 10 and always ends within 20 rounds', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.array(fc.tuple(moveArb, moveArb), { minLength: 40, maxLength: 40 }),
        (id, moves) => {
          let s = newGame(id, 'toolbox');
          for (const [p, b] of moves) {
            if (s.finished) break;
            const before = s;
            s = playRound(s, s.rounds.length + 1, p, b);
            expect(s.playerScore).toBeLessThanOrEqual(WIN_SCORE);
            expect(s.botScore).toBeLessThanOrEqual(WIN_SCORE);
            expect(s.playerScore).toBeGreaterThanOrEqual(before.playerScore);
            expect(s.botScore).toBeGreaterThanOrEqual(before.botScore);
            expect(s.finished).toBe(s.playerScore === WIN_SCORE || s.botScore === WIN_SCORE);
          }
          expect(s.finished).toBe(true);
          expect(s.rounds.length).toBeLessThanOrEqual(20);
          if (s.winner === 'player') expect(s.playerScore).toBe(10);
          if (s.winner === 'bot') expect(s.botScore).toBe(10);
          expect(() => playRound(s, s.rounds.length + 1, 'rock', 'rock')).toThrow(GameFinishedError);
        },
      ),
      { numRuns: 2000 },
    );
  }, 60_000);
});

describe('hp', () => {
  it('is 100 minus 10 per opponent point', () => {
    expect(hp(0)).toBe(100);
    expect(hp(9.3)).toBe(7);
    expect(hp(2.9)).toBe(71);
    expect(hp(10)).toBe(0);
  });
});
