import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ArtifactMetadataSchema, validate, type ArtifactMetadata } from '../core/index.ts';
import { sha256Hex } from '../lib/artifact-store.ts';

/** The objects of one version, under `<model>/<version>/`; metadata.json is written last. */
export const ARTIFACT_FILES = {
  model: 'model.onnx',
  metadata: 'metadata.json',
  dataset: 'dataset.ndjson.gz',
} as const;

/** The part of ArtifactStore (lib/artifact-store.ts) the trainer needs. */
export interface VersionStore {
  readonly bucket: string;
  put(key: string, body: Buffer, contentType?: string): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  list(prefix: string): Promise<string[]>;
  deletePrefix(prefix: string): Promise<number>;
}

export function versionPrefix(model: string, version: string): string {
  return `${model}/${version}/`;
}

export type VersionState =
  | { state: 'absent' }
  | { state: 'complete'; metadata: ArtifactMetadata }
  | { state: 'partial'; keys: string[]; reason: string };

/**
 * A version is complete when metadata.json (the last object written) validates, model.onnx
 * matches its sha256 and size, and dataset.ndjson.gz is there. Anything else under the prefix is
 * the debris of an interrupted run.
 */
export async function inspectVersion(
  store: VersionStore,
  model: string,
  version: string,
): Promise<VersionState> {
  const prefix = versionPrefix(model, version);
  const keys = await store.list(prefix);
  if (keys.length === 0) return { state: 'absent' };
  const partial = (reason: string): VersionState => ({ state: 'partial', keys, reason });
  const has = (file: string) => keys.includes(prefix + file);
  if (!has(ARTIFACT_FILES.metadata)) return partial(`${ARTIFACT_FILES.metadata} is missing`);
  if (!has(ARTIFACT_FILES.model)) return partial(`${ARTIFACT_FILES.model} is missing`);
  if (!has(ARTIFACT_FILES.dataset)) return partial(`${ARTIFACT_FILES.dataset} is missing`);
  const raw = await store.get(prefix + ARTIFACT_FILES.metadata);
  if (!raw) return partial(`${ARTIFACT_FILES.metadata} is missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return partial(`${ARTIFACT_FILES.metadata} is not JSON`);
  }
  const checked = validate(ArtifactMetadataSchema, parsed);
  if (!checked.ok) return partial(`${ARTIFACT_FILES.metadata} is invalid: ${checked.errors.join('; ')}`);
  const metadata = checked.value;
  if (metadata.model !== model || metadata.version !== version) {
    return partial(`${ARTIFACT_FILES.metadata} describes ${metadata.model}/${metadata.version}`);
  }
  const onnx = await store.get(prefix + ARTIFACT_FILES.model);
  if (!onnx || onnx.length !== metadata.artifact.bytes || sha256Hex(onnx) !== metadata.artifact.sha256) {
    return partial(`${ARTIFACT_FILES.model} does not match the sha256 in ${ARTIFACT_FILES.metadata}`);
  }
  return { state: 'complete', metadata };
}

export interface VersionArtifacts {
  model: Uint8Array;
  metadata: ArtifactMetadata;
  dataset: Buffer;
}

/** Uploads dataset, model, then metadata.json, so a version with metadata is a whole version. */
export async function uploadVersion(
  store: VersionStore,
  model: string,
  version: string,
  artifacts: VersionArtifacts,
): Promise<string[]> {
  const prefix = versionPrefix(model, version);
  const keys = [
    prefix + ARTIFACT_FILES.dataset,
    prefix + ARTIFACT_FILES.model,
    prefix + ARTIFACT_FILES.metadata,
  ];
  await store.put(keys[0]!, artifacts.dataset, 'application/gzip');
  await store.put(keys[1]!, Buffer.from(artifacts.model), 'application/octet-stream');
  await store.put(
    keys[2]!,
    Buffer.from(JSON.stringify(artifacts.metadata, null, 2) + '\n'),
    'application/json',
  );
  return keys;
}

/**
 * A local directory laid out like the bucket (`<dir>/<model>/<version>/…`), for running the
 * trainer by hand without an object store (`--out <dir>`).
 */
export class DirectoryStore implements VersionStore {
  readonly bucket: string;
  constructor(private readonly dir: string) {
    this.bucket = path.basename(path.resolve(dir));
  }
  private file(key: string): string {
    return path.join(this.dir, ...key.split('/'));
  }
  async put(key: string, body: Buffer): Promise<void> {
    mkdirSync(path.dirname(this.file(key)), { recursive: true });
    writeFileSync(this.file(key), body);
  }
  async get(key: string): Promise<Buffer | null> {
    try {
      return readFileSync(this.file(key));
    } catch {
      return null;
    }
  }
  async list(prefix: string): Promise<string[]> {
    try {
      return readdirSync(this.file(prefix), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(this.dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
    } catch {
      return [];
    }
  }
  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    rmSync(this.file(prefix), { recursive: true, force: true });
    return keys.length;
  }
}
