import { createRequire } from 'node:module';
import {
  ArtifactMetadataSchema,
  DEFAULT_FEATURE_SET,
  MOVES,
  OPENING_ROUNDS,
  assertValid,
  featureSet,
  referenceStats,
  seededRandom,
  type Algorithm,
  type ArtifactMetadata,
  type ExportedRound,
  type FeatureSet,
  type FeatureSetName,
} from '../core/index.ts';
import { sha256Hex } from '../lib/artifact-store.ts';
import { trainGbdtModel } from './algorithms/gbdt.ts';
import { trainLogistic } from './algorithms/logistic.ts';
import { trainMlp } from './algorithms/mlp.ts';
import type { ProgressLog, TrainedModel } from './algorithms/trained-model.ts';
import type {
  GbdtHyperparameters,
  HyperparametersOf,
  LogisticHyperparameters,
  MlpHyperparameters,
} from './hyperparameters.ts';
import { buildDataset, datasetFile, type DatasetGame, type DatasetOptions } from './dataset.ts';
import {
  DEFAULT_EVAL_ROWS,
  evaluateVersions,
  heldOutRows,
  type CompareLoader,
  type Evaluation,
} from './evaluation.ts';
import { evaluate, majorityClass, type Metrics } from './metrics.ts';
import { checkParity, type ParityReport } from './parity.ts';
import { featureCountOf, splitByGame, type Rows, type Split } from './split.ts';
import { fitStandardizer } from './standardize.ts';
import { runSearch, searchCandidates, type SearchReport, type SearchSpec } from './search.ts';

export const TRAINER_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;

/**
 * Rows start at the first round a model decides (after the gambit rounds): the app asks the
 * models from round 4 on, so that is what the models learn and are measured on. The features of
 * those rows still use every earlier round, gambit rounds included.
 */
export const FIRST_MODEL_ROUND = OPENING_ROUNDS + 1;

export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

export function rowsOf(
  games: readonly DatasetGame[],
  set: FeatureSet = featureSet(DEFAULT_FEATURE_SET),
): Rows {
  const batch = set.batch(
    games.map((g) => g.rounds),
    { fromRound: FIRST_MODEL_ROUND },
  );
  // columns the set's models do not read are held at 0, so no model learns from them
  if (set.ignored.length) {
    for (let r = 0; r < batch.x.length; r += set.count) for (const c of set.ignored) batch.x[r + c] = 0;
  }
  return batch;
}

export interface SplitRows {
  games: Split<DatasetGame>;
  rows: { train: Rows; validation: Rows; test: Rows };
}

export function splitRows(
  games: readonly DatasetGame[],
  set: FeatureSet = featureSet(DEFAULT_FEATURE_SET),
): SplitRows {
  const split = splitByGame(games);
  const rows = {
    train: rowsOf(split.train, set),
    validation: rowsOf(split.validation, set),
    test: rowsOf(split.test, set),
  };
  for (const part of ['train', 'validation', 'test'] as const) {
    if (rows[part].rows === 0) {
      throw new TrainingError(
        `the ${part} split has no rows from round ${FIRST_MODEL_ROUND} on (${split[part].length} games); more data is needed`,
      );
    }
  }
  return { games: split, rows };
}

/** Trains one algorithm on the train rows, early-stopping on the validation rows. */
export async function trainAlgorithm(
  algorithm: Algorithm,
  hyperparameters: HyperparametersOf<Algorithm>,
  train: Rows,
  validation: Rows,
  seed: number,
  log?: ProgressLog,
): Promise<TrainedModel> {
  const random = seededRandom(seed);
  switch (algorithm) {
    case 'gbdt':
      return trainGbdtModel(train, validation, hyperparameters as GbdtHyperparameters, random, log);
    case 'mlp':
      return trainMlp(
        train,
        validation,
        fitStandardizer(train.x, train.rows, featureCountOf(train)),
        hyperparameters as MlpHyperparameters,
        random,
        log,
      );
    case 'logistic':
      return trainLogistic(
        train,
        validation,
        fitStandardizer(train.x, train.rows, featureCountOf(train)),
        hyperparameters as LogisticHyperparameters,
        random,
        log,
      );
  }
}

export interface VersionRequest {
  model: string;
  version: string;
  algorithm: Algorithm;
  hyperparameters: HyperparametersOf<Algorithm>;
  seed: number;
  trigger: string;
  /** the features the version reads (default rps-features/v2) */
  featureSet?: FeatureSetName;
  /** hyperparameter sets to try (spec.search); the best by validation log loss becomes the version */
  search?: SearchSpec | null;
  /** what each search candidate is merged over (spec.hyperparameters as written); default `hyperparameters` */
  baseHyperparameters?: Record<string, unknown>;
  dataset: DatasetOptions;
  /** the offline evaluation: held-out rows scored (default 2000) and the Production model, if any */
  evaluation?: { maxRows?: number; compare?: CompareLoader | null };
}

export interface TrainedVersion {
  model: Uint8Array;
  metadata: ArtifactMetadata;
  dataset: Buffer;
  metrics: Metrics;
  parity: ParityReport;
  evaluation: Evaluation;
}

/** From exported events to a version's three artifacts, checked (parity, metadata schema). */
export async function trainVersion(
  request: VersionRequest,
  events: readonly ExportedRound[],
  log: ProgressLog = () => {},
  clock: () => number = Date.now,
): Promise<TrainedVersion> {
  const started = clock();
  const dataset = buildDataset(events, request.dataset);
  log({ msg: 'dataset', ...dataset.summary });
  const set = featureSet(request.featureSet ?? DEFAULT_FEATURE_SET);
  const split = splitRows(dataset.games, set);
  log({
    msg: 'split',
    trainGames: split.games.train.length,
    validationGames: split.games.validation.length,
    testGames: split.games.test.length,
    trainRows: split.rows.train.rows,
    validationRows: split.rows.validation.rows,
    testRows: split.rows.test.rows,
  });
  const { train, validation, test } = split.rows;
  let trained: TrainedModel;
  let hyperparameters = request.hyperparameters;
  let search: SearchReport | undefined;
  if (request.search) {
    const candidates = searchCandidates(
      request.algorithm,
      (request.baseHyperparameters ?? request.hyperparameters) as Record<string, unknown>,
      request.search,
    );
    const found = await runSearch(
      candidates,
      (hp) => trainAlgorithm(request.algorithm, hp, train, validation, request.seed),
      validation,
      log,
    );
    trained = found.model;
    hyperparameters = found.hyperparameters;
    search = found.report;
  } else {
    trained = await trainAlgorithm(
      request.algorithm,
      request.hyperparameters,
      train,
      validation,
      request.seed,
      log,
    );
  }
  const probabilities = await trained.predict(test.x, test.rows);
  const metrics = evaluate(probabilities, test.y, test.rows, majorityClass(train.y, train.rows));
  log({
    msg: 'test',
    accuracy: metrics.accuracy,
    logLoss: metrics.logLoss,
    baselineAccuracy: metrics.baselineAccuracy,
  });

  const onnx = trained.toOnnx({
    model: request.model,
    version: request.version,
    algorithm: request.algorithm,
    featureSet: set.name,
  });
  const parity = await checkParity(onnx, test.x, test.rows, probabilities);
  log({ msg: 'parity', rows: parity.rows, maxAbsDiff: parity.maxAbsDiff });

  const maxRows = request.evaluation?.maxRows ?? DEFAULT_EVAL_ROWS;
  const evaluation = await evaluateVersions({
    candidate: { version: request.version, model: onnx },
    rows: heldOutRows(split.games.test, maxRows, FIRST_MODEL_ROUND, set),
    maxRows,
    compare: request.evaluation?.compare ?? null,
  });
  log({
    msg: 'evaluation',
    rows: evaluation.rows,
    candidate: evaluation.candidate,
    production: evaluation.production
      ? {
          version: evaluation.production.version,
          accuracy: evaluation.production.accuracy,
          logLoss: evaluation.production.logLoss,
        }
      : null,
    accuracyDelta: evaluation.accuracyDelta,
    ...(evaluation.error !== undefined ? { error: evaluation.error } : {}),
  });

  const file = datasetFile(dataset);
  const s = dataset.summary;
  const metadata = assertValid(
    ArtifactMetadataSchema,
    {
      schemaVersion: 1,
      model: request.model,
      version: request.version,
      algorithm: request.algorithm,
      featureSet: set.name,
      classes: [...MOVES],
      hyperparameters,
      ...(search ? { search } : {}),
      metrics: {
        accuracy: metrics.accuracy,
        logLoss: metrics.logLoss,
        baselineAccuracy: metrics.baselineAccuracy,
        baselineMove: metrics.baselineMove,
        rows: metrics.rows,
        perClass: metrics.perClass,
        confusionMatrix: metrics.confusionMatrix,
      },
      dataset: {
        events: s.events,
        games: s.games,
        humanEvents: s.humanEvents,
        syntheticEvents: s.syntheticEvents,
        coldStartEvents: s.coldStartEvents,
        humanGames: s.humanGames,
        syntheticGames: s.syntheticGames,
        coldStartGames: s.coldStartGames,
        coldStartSeed: s.coldStartSeed,
        exportedEventsRead: s.exportedEventsRead,
        exportedEventsDropped: s.exportedEventsDropped,
        ...(s.firstEventId !== null ? { firstEventId: s.firstEventId } : {}),
        ...(s.lastEventId !== null ? { lastEventId: s.lastEventId } : {}),
        from: s.from,
        to: s.to,
        sha256: file.sha256,
        options: {
          maxEvents: s.maxEvents,
          minTotalEvents: s.minTotalEvents,
          syntheticStride: s.syntheticStride,
          inputs: s.inputs,
          bootstrapGames: s.bootstrapGames,
        },
        firstRound: FIRST_MODEL_ROUND,
        split: {
          train: { games: split.games.train.length, rows: train.rows },
          validation: { games: split.games.validation.length, rows: validation.rows },
          test: { games: split.games.test.length, rows: test.rows },
        },
      },
      artifact: { sha256: sha256Hex(onnx), bytes: onnx.length },
      trainerVersion: TRAINER_VERSION,
      seed: request.seed,
      durationMs: clock() - started,
      createdAt: new Date(clock()).toISOString(),
      trigger: request.trigger,
      training: { ...trained.training, parityMaxAbsDiff: parity.maxAbsDiff },
      // what the game server's drift check compares live traffic with (core, so both bin alike)
      // (drift describes the players in rps-features/v1 terms, whatever the version reads)
      reference: referenceStats(
        set.name === 'rps-features/v1' ? train : rowsOf(split.games.train, featureSet('rps-features/v1')),
      ),
      // the new version and the current Production scored on the same newest held-out rounds
      evaluation,
    },
    'metadata.json',
  );
  return { model: onnx, metadata, dataset: file.bytes, metrics, parity, evaluation };
}
