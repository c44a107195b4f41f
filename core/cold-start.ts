import { createSyntheticPlayer, SYNTHETIC_PLAYER_NAMES } from './synthetic-players.ts';
import { simulateGame, type SimulatedGame } from './simulator.ts';
import { uniformPredictor } from './bot.ts';
import { seededRandom } from './random.ts';

/** The game id of cold-start game `index` for `seed` (stable, so values can be recomputed). */
export function coldStartGameId(seed: number, index: number): string {
  return `cold-start-${seed}-${index}`;
}

/**
 * A synthetic corpus for training before any human has played: the eight scripted players in
 * turn against the opening gambits followed by uniform-probability EV play. Same seed, same corpus.
 */
export function coldStartCorpus(options: { games: number; seed: number }): SimulatedGame[] {
  if (!Number.isInteger(options.games) || options.games < 0) {
    throw new RangeError(`coldStartCorpus: games must be an integer >= 0, got ${String(options.games)}`);
  }
  const random = seededRandom(options.seed);
  const corpus: SimulatedGame[] = [];
  for (let i = 0; i < options.games; i++) {
    const name = SYNTHETIC_PLAYER_NAMES[i % SYNTHETIC_PLAYER_NAMES.length]!;
    const playerRandom = seededRandom(Math.floor(random() * 2 ** 32));
    corpus.push(
      simulateGame({
        gameId: coldStartGameId(options.seed, i),
        player: createSyntheticPlayer(name, playerRandom),
        predictor: uniformPredictor,
        random,
      }),
    );
  }
  return corpus;
}
