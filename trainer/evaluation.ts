import {
  ArtifactMetadataSchema,
  DEFAULT_FEATURE_SET,
  featureSet,
  isFeatureSetName,
  validate,
  type FeatureSet,
  type ArtifactMetadata,
} from '../core/index.ts';
import { parseArtifactUri, sha256Hex } from '../lib/artifact-store.ts';
import type { DatasetGame } from './dataset.ts';
import { evaluate } from './metrics.ts';
import { runOnnx } from './parity.ts';
import type { Rows } from './split.ts';

/** Held-out rows scored by the offline evaluation unless RPS_EVAL_ROWS says otherwise. */
export const DEFAULT_EVAL_ROWS = 2000;

/** The newest rows of the test split, as scored by the offline evaluation. */
export interface HeldOutRows extends Rows {
  humanRows: number;
  syntheticRows: number;
  /** rows of cold-start games: only when the test split holds no exported round */
  coldStartRows: number;
  /** export id of each row (empty for cold-start rows) */
  ids: number[];
  firstEventId: number | null;
  lastEventId: number | null;
  /** the same rows in another feature set (a Production version of another set is scored on them) */
  inFeatureSet(set: FeatureSet): Rows;
}

interface RowRef {
  game: number;
  /** row of the game's batch */
  row: number;
  /** export id, or null for a cold-start game */
  id: number | null;
  synthetic: boolean;
}

/**
 * The rows the candidate and the Production model are both scored on: of the test split (games
 * neither was trained on by this run), the newest `maxRows` exported rounds from `fromRound` on,
 * human and synthetic alike, in id order. A test split without exported rounds (a cold-start-only
 * dataset) gives its newest cold-start rows instead.
 */
export function heldOutRows(
  test: readonly DatasetGame[],
  maxRows: number,
  fromRound: number,
  set: FeatureSet = featureSet(DEFAULT_FEATURE_SET),
): HeldOutRows {
  const batches = test.map((g) => set.batch([g.rounds], { fromRound }));
  const exported: RowRef[] = [];
  const coldStart: RowRef[] = [];
  test.forEach((g, game) => {
    const batch = batches[game]!;
    for (let row = 0; row < batch.rows; row++) {
      // the batch's rows are the game's rounds fromRound, fromRound + 1, …
      const event = g.events[fromRound - 1 + row];
      if (g.source === 'export' && event) exported.push({ game, row, id: event.id, synthetic: g.synthetic });
      else coldStart.push({ game, row, id: null, synthetic: true });
    }
  });
  exported.sort((a, b) => a.id! - b.id!);
  const pool = exported.length ? exported : coldStart;
  const picked = pool.slice(Math.max(0, pool.length - maxRows));

  const gather = (of: FeatureSet, from: typeof batches): Rows => {
    const n = of.count;
    const x = new Float32Array(picked.length * n);
    const y = new Uint8Array(picked.length);
    picked.forEach((ref, i) => {
      const batch = from[ref.game]!;
      x.set(batch.x.subarray(ref.row * n, (ref.row + 1) * n), i * n);
      y[i] = batch.y[ref.row]!;
    });
    return { x, y, rows: picked.length };
  };
  const { x, y } = gather(set, batches);
  const ids = picked.flatMap((r) => (r.id === null ? [] : [r.id]));
  const fromExport = exported.length > 0;
  return {
    x,
    y,
    rows: picked.length,
    humanRows: fromExport ? picked.filter((r) => !r.synthetic).length : 0,
    syntheticRows: fromExport ? picked.filter((r) => r.synthetic).length : 0,
    coldStartRows: fromExport ? 0 : picked.length,
    ids,
    firstEventId: ids[0] ?? null,
    lastEventId: ids[ids.length - 1] ?? null,
    inFeatureSet: (other) =>
      other.name === set.name
        ? { x, y, rows: picked.length }
        : gather(
            other,
            test.map((g) => other.batch([g.rounds], { fromRound })),
          ),
  };
}

export interface Score {
  accuracy: number;
  logLoss: number;
}

/** Accuracy and log loss of an ONNX model (run in onnxruntime-node, as the app serves it). */
export async function scoreOnnx(model: Uint8Array, rows: Rows): Promise<Score> {
  const p = await runOnnx(model, rows.x, rows.rows);
  const m = evaluate(p, rows.y, rows.rows, 0);
  return { accuracy: m.accuracy, logLoss: m.logLoss };
}

/** The model the new version is compared with: the current Production version. */
export interface CompareModel {
  version: string;
  uri: string;
  model: Uint8Array;
  /** the metadata.json next to it, when there is a valid one */
  metadata: ArtifactMetadata | null;
}

/** What the operator asked to compare with (RPS_COMPARE_VERSION, RPS_COMPARE_URI). */
export interface CompareRequest {
  version: string | null;
  uri: string | null;
}

/** Loads the compare model; any failure becomes a message, never a failed training. */
export type CompareLoader = () => Promise<CompareModel>;

/** `metadata.evaluation`. */
export interface Evaluation {
  heldOut: 'test';
  rows: number;
  maxRows: number;
  humanRows: number;
  syntheticRows: number;
  coldStartRows: number;
  firstEventId: number | null;
  lastEventId: number | null;
  candidate: { version: string } & Score;
  production:
    | ({
        version: string;
        uri: string;
        sha256: string;
        /** scored rows newer than the last exported round the Production model was trained on */
        rowsAfterItsData: number | null;
      } & Score)
    | null;
  /** candidate accuracy − Production accuracy (a fraction: 0.02 is two points); null without Production */
  accuracyDelta: number | null;
  /** candidate log loss − Production log loss; null without Production */
  logLossDelta: number | null;
  /** why a requested comparison has no result (Production could not be fetched or run) */
  error?: string;
}

const VERSION_NAME = /^v[1-9][0-9]*$/;

/** The object store reads a compare loader needs. */
export interface CompareSource {
  /** the object's bytes in the named bucket, or null when it does not exist */
  get(bucket: string, key: string): Promise<Buffer | null>;
}

/**
 * A loader for `s3://<bucket>/<model>/<version>/model.onnx`: the model and, beside it,
 * metadata.json; the model must match that metadata's sha256 and feature set when it is there.
 */
export function compareLoader(request: CompareRequest, source: CompareSource): CompareLoader | null {
  if (request.version === null && request.uri === null) return null;
  return async () => {
    if (request.version === null) throw new Error('RPS_COMPARE_URI is set but RPS_COMPARE_VERSION is not');
    if (request.uri === null) throw new Error('RPS_COMPARE_VERSION is set but RPS_COMPARE_URI is not');
    if (!VERSION_NAME.test(request.version)) {
      throw new Error(`RPS_COMPARE_VERSION=${JSON.stringify(request.version)} is not a version (v1, v2, …)`);
    }
    const { bucket, key } = parseArtifactUri(request.uri);
    let model: Buffer | null;
    let raw: Buffer | null = null;
    const metadataKey = key.replace(/[^/]*$/, 'metadata.json');
    try {
      model = await source.get(bucket, key);
      if (model && metadataKey !== key) raw = await source.get(bucket, metadataKey);
    } catch (err) {
      throw new Error(`cannot fetch ${request.uri}: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
      });
    }
    if (!model) throw new Error(`${request.uri} does not exist`);
    let metadata: ArtifactMetadata | null = null;
    if (raw) {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        // checked below: an unreadable metadata.json is as good as none
      }
      const checked = validate(ArtifactMetadataSchema, parsed);
      if (checked.ok) metadata = checked.value;
    }
    if (metadata) {
      if (!isFeatureSetName(metadata.featureSet)) {
        throw new Error(
          `${request.uri} reads feature set ${metadata.featureSet}, which this trainer cannot compute`,
        );
      }
      if (metadata.artifact.sha256 !== sha256Hex(model)) {
        throw new Error(`${request.uri} does not match the sha256 in its metadata.json`);
      }
    }
    return { version: request.version, uri: request.uri, model, metadata };
  };
}

/**
 * Scores the candidate's ONNX model and (when asked) the Production model on the same held-out
 * rows. Only the candidate's scoring may throw: a Production model that cannot be fetched or run
 * leaves `production: null` with `error`.
 */
export async function evaluateVersions(options: {
  candidate: { version: string; model: Uint8Array };
  rows: HeldOutRows;
  maxRows: number;
  compare: CompareLoader | null;
}): Promise<Evaluation> {
  const { rows } = options;
  const candidate = {
    version: options.candidate.version,
    ...(await scoreOnnx(options.candidate.model, rows)),
  };
  const evaluation: Evaluation = {
    heldOut: 'test',
    rows: rows.rows,
    maxRows: options.maxRows,
    humanRows: rows.humanRows,
    syntheticRows: rows.syntheticRows,
    coldStartRows: rows.coldStartRows,
    firstEventId: rows.firstEventId,
    lastEventId: rows.lastEventId,
    candidate,
    production: null,
    accuracyDelta: null,
    logLossDelta: null,
  };
  if (!options.compare) return evaluation;
  try {
    const compare = await options.compare();
    let score: Score;
    try {
      // a version of another feature set is scored on the same rounds, in its own features
      const set = featureSet(compare.metadata?.featureSet ?? 'rps-features/v1');
      score = await scoreOnnx(compare.model, rows.inFeatureSet(set));
    } catch (err) {
      throw new Error(`cannot run ${compare.uri}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    let rowsAfterItsData: number | null = null;
    if (compare.metadata && rows.coldStartRows === 0) {
      // no lastEventId: the Production model was trained on cold-start games only
      const lastTrained = compare.metadata.dataset.lastEventId ?? 0;
      rowsAfterItsData = rows.ids.filter((id) => id > lastTrained).length;
    }
    evaluation.production = {
      version: compare.version,
      uri: compare.uri,
      sha256: sha256Hex(compare.model),
      ...score,
      rowsAfterItsData,
    };
    evaluation.accuracyDelta = candidate.accuracy - score.accuracy;
    evaluation.logLossDelta = candidate.logLoss - score.logLoss;
  } catch (err) {
    evaluation.error = (err as Error)?.message ?? String(err);
  }
  return evaluation;
}
