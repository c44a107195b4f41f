import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../lib/artifact-store.ts';
import { FEATURE_SET, type Alias, type Algorithm, type ServingManifest } from '../../core/index.ts';

export interface ModelVersion {
  version: string;
  bytes: Buffer;
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
