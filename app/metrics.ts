import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricsRegistry } from '../lib/metrics-registry.ts';

/** The game server's Prometheus metrics, on a registry of its own (one per app instance). */
export interface AppMetrics {
  registry: Registry;
  moves: Counter<'bot' | 'alias' | 'version'>;
  moveInputs: Counter<'bot' | 'input'>;
  gamesStarted: Counter<'bot' | 'alias' | 'version'>;
  gamesFinished: Counter<'bot' | 'alias' | 'version' | 'outcome'>;
  predictions: Counter<'bot' | 'alias' | 'version'>;
  correctPredictions: Counter<'bot' | 'alias' | 'version'>;
  fallbacks: Counter<'bot' | 'reason'>;
  moveDuration: Histogram<'bot'>;
  modelLoads: Counter<'bot' | 'alias' | 'version'>;
  modelLoadFailures: Counter<'bot' | 'reason'>;
  modelLoadDuration: Histogram<'bot'>;
  servedModels: Gauge<'bot' | 'alias' | 'version'>;
  driftScore: Gauge<'bot' | 'version'>;
  driftDetected: Gauge<'bot'>;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): AppMetrics {
  const { registry, counter, gauge, histogram, processMetrics } = metricsRegistry();
  if (options.processMetrics ?? true) processMetrics();
  return {
    registry,
    moves: counter('rpsq_moves_total', 'Moves played, by bot and the alias/version that played the game', [
      'bot',
      'alias',
      'version',
    ]),
    moveInputs: counter(
      'rpsq_move_inputs_total',
      'Moves played, by bot and how the player entered them (click, key, camera)',
      ['bot', 'input'],
    ),
    gamesStarted: counter('rpsq_games_started_total', 'Games started, by bot and assigned alias/version', [
      'bot',
      'alias',
      'version',
    ]),
    gamesFinished: counter(
      'rpsq_games_finished_total',
      'Finished games by outcome (bot, player, tie) and the alias/version that played',
      ['bot', 'alias', 'version', 'outcome'],
    ),
    predictions: counter(
      'rpsq_predictions_total',
      "Predictions of the player's move, by the alias and version that made them",
      ['bot', 'alias', 'version'],
    ),
    correctPredictions: counter(
      'rpsq_predictions_correct_total',
      "Predictions that named the player's actual move",
      ['bot', 'alias', 'version'],
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
      ['bot', 'alias', 'version'],
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
      ['bot', 'alias', 'version'],
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
