import { roundValues } from './round-values.ts';
import { newGame, playRound, type GameState, type PlayedRound, type Winner } from './game.ts';
import { drawGambit, type GambitName } from './gambits.ts';
import { botMove, type Predictor } from './bot.ts';
import type { PlayerStrategy } from './synthetic-players.ts';
import type { FeatureSet } from './feature-sets.ts';

export interface SimulatedGame {
  gameId: string;
  gambit: GambitName;
  player: string;
  rounds: PlayedRound[];
  winner: Winner;
  playerScore: number;
  botScore: number;
}

/**
 * Every round moves at least 1 point in total (a win >= 1.0, a draw 0.5 each) and a game ends
 * before 20 points in total, so no game outlasts 20 rounds; the cap is a guard, not a rule.
 */
export const DEFAULT_MAX_ROUNDS = 100;

export interface SimulateGameOptions {
  gameId: string;
  player: PlayerStrategy;
  predictor: Predictor;
  /** draws the gambit (and the sampled rule's moves unless `botRandom` is given) */
  random: () => number;
  /** the bot's feature set: its features and decision rule (default rps-features/v1, greedy) */
  featureSet?: FeatureSet;
  botRandom?: () => number;
  maxRounds?: number;
}

function leader(state: GameState): Winner {
  if (state.playerScore > state.botScore) return 'player';
  return state.botScore > state.playerScore ? 'bot' : 'tie';
}

/**
 * Plays one whole game as the app does: gambit drawn at the start, each round the bot's move is
 * fixed from earlier rounds before the player's move is asked for. A game cut off by `maxRounds`
 * goes to the side ahead.
 */
export function simulateGame(options: SimulateGameOptions): SimulatedGame {
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  let state = newGame(options.gameId, drawGambit(options.random));
  for (let round = 1; !state.finished && round <= maxRounds; round++) {
    const values = roundValues(state.gameId, round);
    const bot = botMove(state, round, values, options.predictor, {
      ...(options.featureSet ? { featureSet: options.featureSet } : {}),
      random: options.botRandom ?? options.random,
    });
    const playerMove = options.player.next({
      round,
      values,
      previous: state.rounds,
      playerScore: state.playerScore,
      botScore: state.botScore,
    });
    state = playRound(state, round, playerMove, bot.move);
  }
  return {
    gameId: state.gameId,
    gambit: state.gambit,
    player: options.player.name,
    rounds: state.rounds,
    winner: state.winner ?? leader(state),
    playerScore: state.playerScore,
    botScore: state.botScore,
  };
}
