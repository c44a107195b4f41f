import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricsRegistry } from '../lib/metrics-registry.ts';

/** The labels of what a served version did: the bot, and the alias and version that served it. */
const SERVED_BY = ['bot', 'alias', 'version'] as const;
type ServedBy = (typeof SERVED_BY)[number];

/** The game server's Prometheus metrics, on a registry of its own (one per app instance). */
export interface AppMetrics {
  registry: Registry;
  moves: Counter<ServedBy>;
  moveInputs: Counter<'bot' | 'input'>;
  gamesStarted: Counter<ServedBy>;
  gamesFinished: Counter<ServedBy | 'outcome'>;
  predictions: Counter<ServedBy>;
  correctPredictions: Counter<ServedBy>;
  fallbacks: Counter<'bot' | 'reason'>;
  moveDuration: Histogram<'bot'>;
  modelLoads: Counter<ServedBy>;
  modelLoadFailures: Counter<'bot' | 'reason'>;
  modelLoadDuration: Histogram<'bot'>;
  servedModels: Gauge<ServedBy>;
  driftScore: Gauge<'bot' | 'version'>;
  driftDetected: Gauge<'bot'>;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): AppMetrics {
  const { registry, counter, gauge, histogram, processMetrics } = metricsRegistry();
  if (options.processMetrics ?? true) processMetrics();
  return {
    registry,
    moves: counter(
      'rpsq_moves_total',
      'Moves played, by bot and the alias/version that played the game',
      SERVED_BY,
    ),
    moveInputs: counter(
      'rpsq_move_inputs_total',
      'Moves played, by bot and how the player entered them (click, key, camera)',
      ['bot', 'input'],
    ),
    gamesStarted: counter(
      'rpsq_games_started_total',
      'Games started, by bot and assigned alias/version',
      SERVED_BY,
    ),
    gamesFinished: counter(
      'rpsq_games_finished_total',
      'Finished games by outcome (bot, player, tie) and the alias/version that played',
      [...SERVED_BY, 'outcome'],
    ),
    predictions: counter(
      'rpsq_predictions_total',
      "Predictions of the player's move, by the alias and version that made them",
      SERVED_BY,
    ),
    correctPredictions: counter(
      'rpsq_predictions_correct_total',
      "Predictions that named the player's actual move",
      SERVED_BY,
    ),
    fallbacks: counter(
      'rpsq_fallback_moves_total',
      'Bot moves decided with uniform probabilities because no model could predict',
      ['bot', 'reason'],
    ),
    moveDuration: histogram(
      'rpsq_move_duration_seconds',
      'Time to decide, score and store one move',
      ['bot'],
      [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    ),
    modelLoads: counter(
      'rpsq_model_loads_total',
      'Model versions verified and loaded into an inference session',
      SERVED_BY,
    ),
    modelLoadFailures: counter(
      'rpsq_model_load_failures_total',
      'Failed manifest or model loads (the last good model keeps serving), by reason',
      ['bot', 'reason'],
    ),
    modelLoadDuration: histogram(
      'rpsq_model_load_duration_seconds',
      "Time to apply one bot's manifest: download, verify and load its models",
      ['bot'],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    servedModels: gauge(
      'rpsq_served_model_info',
      'The version each alias serves (value 1); one series per replica: aggregate with max',
      SERVED_BY,
    ),
    driftScore: gauge(
      'rps_drift_score',
      "Largest population stability index between a bot's recent rounds and its Production version's training rows; every replica reports the same value from the shared database: aggregate with max",
      ['bot', 'version'],
    ),
    driftDetected: gauge(
      'rps_drift_detected',
      'Whether the drift score of a bot is at or above the threshold on enough recent rounds (1) or not (0); the same on every replica: aggregate with max',
      ['bot'],
    ),
  };
}
