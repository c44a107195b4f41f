import { createHash } from 'node:crypto';
import { Client } from 'minio';
import { backoffDelay } from './backoff.ts';

/** Where the model artifacts live: an S3 endpoint (MinIO) and a bucket. */
export interface ArtifactStoreConfig {
  /** e.g. http://127.0.0.1:9000 */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** with temporary keys (a training Job's, from MinIO's STS) */
  sessionToken?: string;
  bucket: string;
  /** attempts for each call while the store is briefly unavailable (default 5) */
  retries?: number;
  /** first backoff in ms, doubled per attempt (default 200) */
  backoffMs?: number;
}

export class ArtifactStoreError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ArtifactStoreError';
  }
}

const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'SlowDown',
  'ServiceUnavailable',
  'XMinioServerNotInitialized',
]);

function isTransient(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return TRANSIENT.has(e?.code ?? '') || TRANSIENT.has(e?.cause?.code ?? '');
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `s3://<bucket>/<key>` — the URI form used in status and the serving manifest. */
export function artifactUri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseArtifactUri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new ArtifactStoreError(`artifact URI "${uri}" is not of the form s3://<bucket>/<key>`);
  return { bucket: m[1]!, key: m[2]! };
}

/**
 * The one S3 client wrapper of the project: the trainer uploads, the app downloads,
 * the operator reads metadata and deletes removed versions. Every call retries with
 * exponential backoff while MinIO is briefly unavailable, then fails with a clear error.
 */
export class ArtifactStore {
  readonly bucket: string;
  private readonly client: Client;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(readonly config: ArtifactStoreConfig) {
    const url = new URL(config.endpoint);
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
      useSSL: url.protocol === 'https:',
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
      region: 'us-east-1',
    });
    this.bucket = config.bucket;
    this.retries = config.retries ?? 5;
    this.backoffMs = config.backoffMs ?? 200;
  }

  private async withRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < this.retries; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isTransient(err)) throw err;
        lastErr = err;
        await new Promise((r) => setTimeout(r, backoffDelay(attempt + 1, this.backoffMs)));
      }
    }
    throw new ArtifactStoreError(
      `${what}: object store at ${this.config.endpoint} unavailable after ${this.retries} attempts (${(lastErr as Error)?.message ?? lastErr})`,
      lastErr,
    );
  }

  async ensureBucket(): Promise<void> {
    await this.withRetry(`create bucket ${this.bucket}`, async () => {
      if (!(await this.client.bucketExists(this.bucket)))
        await this.client.makeBucket(this.bucket, 'us-east-1');
    });
  }

  async put(key: string, body: Buffer, contentType = 'application/octet-stream'): Promise<void> {
    await this.withRetry(`upload ${key}`, () =>
      this.client.putObject(this.bucket, key, body, body.length, { 'Content-Type': contentType }),
    );
  }

  /** The object's bytes, or null when it does not exist. */
  async get(key: string): Promise<Buffer | null> {
    return this.withRetry(`download ${key}`, async () => {
      try {
        const stream = await this.client.getObject(this.bucket, key);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  async exists(key: string): Promise<boolean> {
    return this.withRetry(`stat ${key}`, async () => {
      try {
        await this.client.statObject(this.bucket, key);
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
  }

  async list(prefix: string): Promise<string[]> {
    return this.withRetry(`list ${prefix}`, async () => {
      const keys: string[] = [];
      const stream = this.client.listObjectsV2(this.bucket, prefix, true);
      for await (const item of stream) if (item.name) keys.push(item.name as string);
      return keys;
    });
  }

  /** Deletes every object under the prefix (a removed version's folder). */
  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    if (!keys.length) return 0;
    // a multi-object delete answers 200 and lists the objects it could not delete (AccessDenied…)
    const results = await this.withRetry(`delete ${prefix}`, () =>
      this.client.removeObjects(this.bucket, keys),
    );
    type DeleteError = { Code?: string; Message?: string; Key?: string };
    const failed = results
      .map((r) => (r as { Error?: DeleteError } | null)?.Error ?? (r as DeleteError | null))
      .filter((e): e is DeleteError => !!e?.Code);
    if (failed.length) {
      const first = failed[0]!;
      throw new ArtifactStoreError(
        `delete ${prefix}: ${failed.length} of ${keys.length} objects not deleted (${first.Key}: ${first.Code}: ${first.Message})`,
      );
    }
    return keys.length;
  }
}

/**
 * Reads the store settings from the environment (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
 * S3_BUCKET, and S3_SESSION_TOKEN with temporary keys).
 */
export function artifactStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactStoreConfig {
  const missing = ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'].filter((k) => !env[k]);
  if (missing.length)
    throw new ArtifactStoreError(`missing environment: ${missing.join(', ')} (the object store settings)`);
  return {
    endpoint: env.S3_ENDPOINT!,
    accessKey: env.S3_ACCESS_KEY!,
    secretKey: env.S3_SECRET_KEY!,
    ...(env.S3_SESSION_TOKEN ? { sessionToken: env.S3_SESSION_TOKEN } : {}),
    bucket: env.S3_BUCKET || 'rps-models',
  };
}
