// How large the drift score of an UNCHANGED population gets, by sample size: the false alarms the
// drift trigger would raise. For each population and each (reference rows, recent rows) pair,
// SEEDS independent reference and recent samples of the same synthetic players against the
// uniform-EV bot are compared with core's driftReport; the largest and the median score are
// printed, and the share of comparisons at or above the default threshold (0.2).
// Prints one line per pair, then one JSON object as the last line.
// Usage: node --import tsx bench/drift-noise.ts
import {
  DEFAULT_DRIFT_THRESHOLD,
  SYNTHETIC_PLAYER_NAMES,
  createSyntheticPlayer,
  driftReport,
  featureBatch,
  referenceStats,
  seededRandom,
  simulateGame,
  UNIFORM,
  type FeatureBatch,
  type SyntheticPlayerName,
} from '../core/index.ts';
import { FIRST_MODEL_ROUND } from '../app/drift-monitor.ts';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 8);
const SIZES: [number, number][] = [
  [340, 500],
  [1000, 1000],
  [3000, 1000],
];
const POPULATIONS: Record<string, readonly SyntheticPlayerName[]> = {
  Cal: ['Cal'],
  Hal: ['Hal'],
  Fox: ['Fox'],
  all8: SYNTHETIC_PLAYER_NAMES,
};

/** At least `rows` model rows (round 4 on, as the trainer and the game server use) of these players. */
function population(players: readonly SyntheticPlayerName[], rows: number, seed: number): FeatureBatch {
  const random = seededRandom(seed);
  const played = [];
  let n = 0;
  for (let i = 0; n < rows; i++) {
    const game = simulateGame({
      gameId: `g-${seed}-${i}`,
      player: createSyntheticPlayer(players[i % players.length]!, random),
      predictor: () => UNIFORM,
      random,
    });
    played.push(game.rounds);
    n += Math.max(0, game.rounds.length - (FIRST_MODEL_ROUND - 1));
  }
  return featureBatch(played, { fromRound: FIRST_MODEL_ROUND });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

const results: Record<string, { max: number; median: number; falseAlarmShare: number }> = {};
for (const [refRows, recentRows] of SIZES) {
  for (const [name, players] of Object.entries(POPULATIONS)) {
    const scores: number[] = [];
    for (let s = 0; s < SEEDS; s++) {
      const reference = referenceStats(population(players, refRows, 1000 + s));
      scores.push(driftReport(reference, population(players, recentRows, 2000 + s)).score);
    }
    const key = `${name} ref${refRows}/recent${recentRows}`;
    results[key] = {
      max: round3(Math.max(...scores)),
      median: round3(median(scores)),
      falseAlarmShare: scores.filter((x) => x >= DEFAULT_DRIFT_THRESHOLD).length / scores.length,
    };
    console.log(`${key}: median ${results[key].median}, max ${results[key].max}`);
  }
}
console.log(JSON.stringify({ seeds: SEEDS, threshold: DEFAULT_DRIFT_THRESHOLD, results }));
