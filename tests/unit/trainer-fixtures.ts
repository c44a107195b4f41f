import {
  MOVES,
  seededRandom,
  simulateGame,
  uniformPredictor,
  type ExportedRound,
  type PlayerStrategy,
  type SimulatedGame,
} from '../../core/index.ts';
import { expect } from 'vitest';
import { ConfigError } from '../../lib/env-config.ts';
import type { DatasetGame } from '../../trainer/dataset.ts';

/** A player who opens with a random move and then always repeats it. */
export function repeater(random: () => number): PlayerStrategy {
  return {
    name: 'Rep',
    synthetic: true,
    next: (view) => view.previous[view.previous.length - 1]?.playerMove ?? MOVES[Math.floor(random() * 3)]!,
  };
}

/** Whole games of a repeating player against the uniform-EV bot. */
export function repeaterGames(games: number, seed: number): SimulatedGame[] {
  const random = seededRandom(seed);
  return Array.from({ length: games }, (_, i) =>
    simulateGame({
      gameId: `rep-${seed}-${i}`,
      player: repeater(random),
      predictor: uniformPredictor,
      random,
    }),
  );
}

export function asDatasetGames(games: readonly SimulatedGame[]): DatasetGame[] {
  return games.map((g) => ({
    gameId: g.gameId,
    source: 'export',
    synthetic: true,
    player: g.player,
    rounds: g.rounds,
    events: [],
  }));
}

/** Simulated games as the game server would export them (ids and timestamps ascending, game by game). */
export function asExportedRounds(
  games: readonly SimulatedGame[],
  options: { firstId?: number; bot?: string; synthetic?: boolean; start?: number } = {},
): ExportedRound[] {
  let id = options.firstId ?? 1;
  let at = options.start ?? Date.UTC(2025, 0, 1);
  const out: ExportedRound[] = [];
  for (const g of games) {
    for (const r of g.rounds) {
      out.push({
        id: id++,
        gameId: g.gameId,
        bot: options.bot ?? 'brian',
        round: r.round,
        playerMove: r.playerMove,
        botMove: r.botMove,
        values: r.values,
        result: r.result,
        playerScore: r.playerScore,
        botScore: r.botScore,
        synthetic: options.synthetic ?? false,
        player: options.synthetic ? g.player : null,
        alias: 'Production',
        version: 'v1',
        createdAt: new Date((at += 1000)).toISOString(),
      });
    }
  }
  return out;
}

/** The problems of the ConfigError `fn` throws, one a line (fails when it throws anything else, or nothing). */
export function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.join('\n');
  }
  throw new Error('expected a ConfigError');
}
