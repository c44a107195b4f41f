import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '../../lib/artifact-store.ts';
import {
  FEATURE_SET,
  MOVES,
  createSyntheticPlayer,
  featureBatch,
  referenceStats,
  seededRandom,
  simulateGame,
  type Alias,
  type Algorithm,
  type ArtifactMetadata,
  type PlayedRound,
  type ReferenceStatistics,
  type RoundValues,
  type ServingManifest,
  type SyntheticPlayerName,
} from '../../core/index.ts';

export interface ModelVersion {
  version: string;
  bytes: Buffer;
  /** the version's feature set (default rps-features/v1) */
  featureSet?: string;
}

/** A serving manifest as the operator writes it, for model bytes stored at `<model>/<version>/model.onnx`. */
export function servingManifest(
  model: string,
  aliases: Partial<Record<Alias, ModelVersion>>,
  options: {
    displayName?: string;
    algorithm?: Algorithm;
    bucket?: string;
    split?: { Production: number; B: number };
  } = {},
): ServingManifest {
  const bucket = options.bucket ?? 'rps-models';
  return {
    model,
    displayName: options.displayName ?? model.charAt(0).toUpperCase() + model.slice(1),
    algorithm: options.algorithm ?? 'mlp',
    featureSet: FEATURE_SET,
    trafficSplit: options.split ?? { Production: 50, B: 50 },
    aliases: Object.fromEntries(
      Object.entries(aliases).map(([alias, v]) => [
        alias,
        {
          version: v.version,
          uri: `s3://${bucket}/${model}/${v.version}/model.onnx`,
          sha256: sha256Hex(v.bytes),
          ...(v.featureSet ? { featureSet: v.featureSet } : {}),
        },
      ]),
    ),
  };
}

/** Writes `<model>.json` atomically, as a ConfigMap volume update would appear. */
export function writeManifest(dir: string, manifest: ServingManifest | string, model?: string): void {
  mkdirSync(dir, { recursive: true });
  const name = model ?? (manifest as ServingManifest).model;
  const tmp = join(dir, `.${name}.json.tmp`);
  writeFileSync(tmp, typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2));
  renameSync(tmp, join(dir, `${name}.json`));
}

/** Puts model bytes into the app's sha256 disk cache, so no object store is needed. */
export function seedModelCache(cacheDir: string, ...models: Buffer[]): void {
  mkdirSync(cacheDir, { recursive: true });
  for (const bytes of models) writeFileSync(join(cacheDir, `${sha256Hex(bytes)}.onnx`), bytes);
}

/** A valid metadata.json for the model `bytes`, with an optional training reference. */
export function artifactMetadata(
  model: string,
  v: ModelVersion,
  reference?: ReferenceStatistics,
  algorithm: Algorithm = 'mlp',
): ArtifactMetadata {
  return {
    schemaVersion: 1,
    model,
    version: v.version,
    algorithm,
    featureSet: FEATURE_SET,
    classes: [...MOVES],
    hyperparameters: {},
    metrics: { accuracy: 0.5, logLoss: 1, baselineAccuracy: 0.34, rows: reference?.rows ?? 0 },
    dataset: {
      events: 0,
      games: 0,
      humanEvents: 0,
      syntheticEvents: 0,
      from: null,
      to: null,
      sha256: '0'.repeat(64),
    },
    artifact: { sha256: sha256Hex(v.bytes), bytes: v.bytes.length },
    trainerVersion: '0.1.0',
    seed: 1,
    durationMs: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    ...(reference ? { reference } : {}),
  };
}

/** Puts a version's metadata.json into the app's disk cache next to its model. */
export function seedMetadataCache(cacheDir: string, metadata: ArtifactMetadata): void {
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, `${metadata.artifact.sha256}.metadata.json`), JSON.stringify(metadata));
}

/**
 * A training reference as the trainer computes it: core's statistics of the rows (round 4 on) of
 * games one synthetic player played against uniform-EV bots.
 */
export function playerReference(
  player: SyntheticPlayerName,
  games: number,
  seed: number,
): ReferenceStatistics {
  const random = seededRandom(seed);
  const played = Array.from(
    { length: games },
    (_, i) =>
      simulateGame({
        gameId: `ref-${player}-${seed}-${i}`,
        player: createSyntheticPlayer(player, random),
        predictor: () => null,
        random,
      }).rounds,
  );
  return referenceStats(featureBatch(played, { fromRound: 4 }));
}

/** Plays one whole game through the API with a synthetic player's strategy; returns the rounds played. */
export async function playGameAs(
  app: FastifyInstance,
  name: SyntheticPlayerName,
  random: () => number,
  options: { bot?: string; synthetic?: boolean } = {},
): Promise<PlayedRound[]> {
  const strategy = createSyntheticPlayer(name, random);
  const synthetic = options.synthetic ?? true;
  const start = await app.inject({
    method: 'POST',
    url: '/api/v1/games',
    payload: { bot: options.bot ?? 'brian', player: synthetic ? name : `${name} (person)`, synthetic },
  });
  if (start.statusCode !== 201) throw new Error(`cannot start a game: ${start.body}`);
  const { gameId } = start.json() as { gameId: string };
  let values = (start.json() as { values: RoundValues }).values;
  const previous: PlayedRound[] = [];
  for (let round = 1; round < 200; round++) {
    const last = previous[previous.length - 1];
    const view = {
      round,
      values,
      previous,
      playerScore: last?.playerScore ?? 0,
      botScore: last?.botScore ?? 0,
    };
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/games/${gameId}/moves`,
      payload: { round, move: strategy.next(view) },
    });
    if (res.statusCode !== 200) throw new Error(`move ${round} failed: ${res.body}`);
    const r = res.json() as Omit<PlayedRound, 'values'> & {
      finished: boolean;
      nextValues: RoundValues | null;
    };
    previous.push({
      round,
      playerMove: r.playerMove,
      botMove: r.botMove,
      values,
      result: r.result,
      playerScore: r.playerScore,
      botScore: r.botScore,
    });
    if (r.finished) return previous;
    values = r.nextValues!;
  }
  throw new Error('the game did not end');
}
