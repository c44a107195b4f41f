// The game core: rules, features, decision rule, synthetic players and shared schemas. No I/O.
export {
  MOVES,
  INPUT_METHODS,
  moveIndex,
  isMove,
  beats,
  beatenBy,
  type InputMethod,
  type Move,
} from './moves.ts';
export { roundValues, rankedMoves, highestMove, type RoundValues } from './round-values.ts';
export {
  WIN_SCORE,
  SCORE_EPSILON,
  DRAW_POINTS,
  hp,
  newGame,
  playRound,
  roundResult,
  GameError,
  GameFinishedError,
  RoundOutOfOrderError,
  InvalidMoveError,
  type GameErrorCode,
  type GameState,
  type PlayedRound,
  type RoundResult,
  type Winner,
} from './game.ts';
export {
  GAMBITS,
  GAMBIT_NAMES,
  OPENING_ROUNDS,
  drawGambit,
  gambitMove,
  moveOfRank,
  isGambitName,
  type Gambit,
  type GambitName,
  type Rank,
} from './gambits.ts';
export {
  FEATURE_SET,
  FEATURE_COUNT,
  FEATURE_NAMES,
  LAGS,
  features,
  featureBatch,
  moveOfClass,
  type FeatureBatch,
} from './features.ts';
export {
  UNIFORM,
  DECISION_TEMPERATURE,
  READ_TEMPERATURE,
  READ_WINDOW,
  decisionTemperature,
  predictionTrust,
  TRUST_START,
  TRUST_SCALE,
  TRUST_DECAY,
  sampleMove,
  type SampledDecision,
  TERMINAL_BONUS,
  decideMove,
  expectedValue,
  isUsableProbabilities,
  type Decision,
  type Probabilities,
} from './expected-value.ts';
export {
  botMove,
  uniformPredictor,
  type BotMove,
  type BotMoveOptions,
  type PastPrediction,
  type Predictor,
} from './bot.ts';
export {
  SYNTHETIC_PLAYER_NAMES,
  createSyntheticPlayer,
  isSyntheticPlayerName,
  danWeights,
  type PlayerStrategy,
  type PlayerView,
  type SyntheticPlayerName,
} from './synthetic-players.ts';
export { seededRandom, weightedIndex } from './random.ts';
export {
  simulateGame,
  DEFAULT_MAX_ROUNDS,
  type SimulateGameOptions,
  type SimulatedGame,
} from './simulator.ts';
export { coldStartCorpus, coldStartGameId } from './cold-start.ts';
export {
  ALIASES,
  ALGORITHMS,
  AliasTargetSchema,
  ArtifactMetadataSchema,
  ExportedRoundSchema,
  ReferenceStatisticsSchema,
  RoundValuesSchema,
  ServingManifestSchema,
  VersionStatsSchema,
  SchemaError,
  validate,
  assertValid,
  type Alias,
  type AliasTarget,
  type Algorithm,
  type ArtifactMetadata,
  type ExportedRound,
  type ReferenceStatistics,
  type ServingManifest,
  type ValidationResult,
  type VersionStats,
} from './schemas.ts';
export {
  DEFAULT_DRIFT_MIN_ROWS,
  DEFAULT_DRIFT_MIN_REFERENCE_ROWS,
  DEFAULT_DRIFT_THRESHOLD,
  DRIFT_FEATURES,
  chiSquareSurvival,
  chiSquareTest,
  driftReport,
  populationStabilityIndex,
  referenceStats,
  type DriftReport,
} from './drift.ts';
export { erfc, normalCdf } from './normal-distribution.ts';
export { twoProportionZTest, type TwoProportionResult } from './two-proportion-test.ts';
export {
  FEATURE_SET_V2,
  FEATURE_COUNT_V2,
  FEATURE_NAMES_V2,
  PREDICTOR_NAMES,
  featuresV2,
  featureBatchV2,
  FeatureReaderV2,
  mixturePredictor,
} from './features-v2.ts';
export {
  DEFAULT_FEATURE_SET,
  FEATURE_SET_NAMES,
  featureSet,
  isFeatureSetName,
  type FeatureSet,
  type FeatureSetName,
} from './feature-sets.ts';
export {
  STRATEGY_ZOO,
  TRAINING_FAMILIES,
  HELD_OUT_FAMILIES,
  PREDICTABLE_FAMILIES,
  ADAPTIVE_FAMILY,
  zooMember,
  zooMembers,
  type StrategyFamily,
  type TrainingFamily,
  type HeldOutFamily,
  type ZooMember,
} from './strategy-zoo.ts';
