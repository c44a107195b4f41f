import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    moves: new Counter({
      name: 'rpsq_moves_total',
      help: 'Moves played, by bot and the alias/version that played the game',
      labelNames: ['bot', 'alias', 'version'],
      registers,
    }),
    moveInputs: new Counter({
      name: 'rpsq_move_inputs_total',
      help: 'Moves played, by bot and how the player entered them (click, key, camera)',
      labelNames: ['bot', 'input'],
      registers,
    }),
    gamesStarted: new Counter({
      name: 'rpsq_games_started_total',
      help: 'Games started, by bot and assigned alias/version',
      labelNames: ['bot', 'alias', 'version'],
      registers,
    }),
    gamesFinished: new Counter({
      name: 'rpsq_games_finished_total',
      help: 'Finished games by outcome (bot, player, tie) and the alias/version that played',
      labelNames: ['bot', 'alias', 'version', 'outcome'],
      registers,
    }),
    predictions: new Counter({
      name: 'rpsq_predictions_total',
      help: "Predictions of the player's move, by the alias and version that made them",
      labelNames: ['bot', 'alias', 'version'],
      registers,
    }),
    correctPredictions: new Counter({
      name: 'rpsq_predictions_correct_total',
      help: "Predictions that named the player's actual move",
      labelNames: ['bot', 'alias', 'version'],
      registers,
    }),
    fallbacks: new Counter({
      name: 'rpsq_fallback_moves_total',
      help: 'Bot moves decided with uniform probabilities because no model could predict',
      labelNames: ['bot', 'reason'],
      registers,
    }),
    moveDuration: new Histogram({
      name: 'rpsq_move_duration_seconds',
      help: 'Time to decide, score and store one move',
      labelNames: ['bot'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    modelLoads: new Counter({
      name: 'rpsq_model_loads_total',
      help: 'Model versions verified and loaded into an inference session',
      labelNames: ['bot', 'alias', 'version'],
      registers,
    }),
    modelLoadFailures: new Counter({
      name: 'rpsq_model_load_failures_total',
      help: 'Failed manifest or model loads (the last good model keeps serving), by reason',
      labelNames: ['bot', 'reason'],
      registers,
    }),
    modelLoadDuration: new Histogram({
      name: 'rpsq_model_load_duration_seconds',
      help: "Time to apply one bot's manifest: download, verify and load its models",
      labelNames: ['bot'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    servedModels: new Gauge({
      name: 'rpsq_served_model_info',
      help: 'The version each alias serves (value 1); one series per replica: aggregate with max',
      labelNames: ['bot', 'alias', 'version'],
      registers,
    }),
    driftScore: new Gauge({
      name: 'rps_drift_score',
      help: "Largest population stability index between a bot's recent rounds and its Production version's training rows; every replica reports the same value from the shared database: aggregate with max",
      labelNames: ['bot', 'version'],
      registers,
    }),
    driftDetected: new Gauge({
      name: 'rps_drift_detected',
      help: 'Whether the drift score of a bot is at or above the threshold on enough recent rounds (1) or not (0); the same on every replica: aggregate with max',
      labelNames: ['bot'],
      registers,
    }),
  };
}
