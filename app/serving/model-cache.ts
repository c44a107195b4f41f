import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactMetadataSchema, validate, type ArtifactMetadata } from '../../core/index.ts';
import {
  ArtifactStore,
  parseArtifactUri,
  sha256Hex,
  type ArtifactStoreConfig,
} from '../../lib/artifact-store.ts';

/** Why a model could not be fetched; `reason` is the metric label. */
export class ModelFetchError extends Error {
  constructor(
    readonly reason:
      | 'artifact_missing'
      | 'sha256_mismatch'
      | 'store_unavailable'
      | 'store_not_configured'
      | 'invalid_metadata',
    message: string,
  ) {
    super(message);
    this.name = 'ModelFetchError';
  }
}

/**
 * Model files on local disk, named by their sha256. A file is used only when its bytes hash to
 * the name; otherwise (or when absent) it is downloaded from the object store, verified, and
 * written atomically (temporary file + rename), so a crash never leaves a half file under a real name.
 */
export class ModelCache {
  private readonly stores = new Map<string, ArtifactStore>();
  private readonly inflight = new Map<string, Promise<Buffer>>();

  constructor(
    readonly dir: string,
    private readonly storeConfig: ArtifactStoreConfig | null,
  ) {}

  pathFor(sha256: string): string {
    return join(this.dir, `${sha256}.onnx`);
  }

  /** Where the metadata of the model with this sha256 is kept on disk. */
  metadataPathFor(sha256: string): string {
    return join(this.dir, `${sha256}.metadata.json`);
  }

  /**
   * The `metadata.json` next to the model at `modelUri` (`…/<version>/model.onnx`), which must
   * describe the model with this sha256 (its `artifact.sha256`). Cached on disk next to the model.
   */
  async fetchMetadata(modelUri: string, sha256: string): Promise<ArtifactMetadata> {
    const cached = await readFile(this.metadataPathFor(sha256), 'utf8').catch(() => null);
    if (cached !== null) {
      const parsed = parseMetadata(cached, sha256, this.metadataPathFor(sha256));
      if (parsed.ok) return parsed.value;
    }
    const uri = metadataUri(modelUri);
    const { bucket, key } = parseArtifactUri(uri);
    const store = this.storeFor(bucket, uri);
    let bytes: Buffer | null;
    try {
      bytes = await store.get(key);
    } catch (err) {
      throw new ModelFetchError('store_unavailable', `cannot download ${uri}: ${(err as Error).message}`);
    }
    if (!bytes) throw new ModelFetchError('artifact_missing', `${uri} does not exist in the object store`);
    const parsed = parseMetadata(bytes.toString('utf8'), sha256, uri);
    if (!parsed.ok) throw new ModelFetchError('invalid_metadata', parsed.error);
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.metadataPathFor(sha256)}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, this.metadataPathFor(sha256));
    return parsed.value;
  }

  /** The verified bytes of the artifact at `uri` whose sha256 must be `sha256`. */
  fetch(uri: string, sha256: string): Promise<Buffer> {
    const key = `${sha256} ${uri}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetchOnce(uri, sha256).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async fetchOnce(uri: string, sha256: string): Promise<Buffer> {
    const cached = await readFile(this.pathFor(sha256)).catch(() => null);
    if (cached && sha256Hex(cached) === sha256) return cached;

    const { bucket, key } = parseArtifactUri(uri);
    const store = this.storeFor(bucket, uri);
    let bytes: Buffer | null;
    try {
      bytes = await store.get(key);
    } catch (err) {
      throw new ModelFetchError('store_unavailable', `cannot download ${uri}: ${(err as Error).message}`);
    }
    if (!bytes) throw new ModelFetchError('artifact_missing', `${uri} does not exist in the object store`);
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      throw new ModelFetchError(
        'sha256_mismatch',
        `${uri} has sha256 ${actual} but the manifest expects ${sha256}; refusing to load it`,
      );
    }
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.pathFor(sha256)}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, this.pathFor(sha256));
    return bytes;
  }

  private storeFor(bucket: string, uri: string): ArtifactStore {
    if (!this.storeConfig) {
      throw new ModelFetchError(
        'store_not_configured',
        `${uri} is not in the local cache and no object store is configured (set S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY)`,
      );
    }
    let store = this.stores.get(bucket);
    if (!store) {
      // a short retry budget: a manifest that cannot be served is retried later by the registry
      store = new ArtifactStore({ retries: 2, backoffMs: 100, ...this.storeConfig, bucket });
      this.stores.set(bucket, store);
    }
    return store;
  }
}

/** `s3://bucket/<model>/<version>/metadata.json` for `s3://bucket/<model>/<version>/model.onnx`. */
export function metadataUri(modelUri: string): string {
  return modelUri.replace(/[^/]*$/, 'metadata.json');
}

function parseMetadata(
  text: string,
  sha256: string,
  where: string,
): { ok: true; value: ArtifactMetadata } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${where} is not valid JSON (${(err as Error).message})` };
  }
  const result = validate<ArtifactMetadata>(ArtifactMetadataSchema, json);
  if (!result.ok) return { ok: false, error: `${where}: ${result.errors.join('; ')}` };
  if (result.value.artifact.sha256 !== sha256) {
    return {
      ok: false,
      error: `${where} describes a model with sha256 ${result.value.artifact.sha256}, not the served ${sha256}`,
    };
  }
  return result;
}
