import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import { mintTrainingKeys, STS_MIN_SECONDS, type TrainingKeys } from '../../lib/training-keys.ts';
import { startMinio, type MinioServer } from '../../hack/harness/index.ts';

// A training Job's keys (MinIO STS AssumeRole with a session policy) on a real MinIO.
const dir = mkdtempSync(join(tmpdir(), 'training-keys-'));
let minio: MinioServer;
let root: ArtifactStore;

const accessDenied = { code: 'AccessDenied' };
const minter = () => ({ endpoint: minio.endpoint, ...minio.users.minter });
const withKeys = (keys: TrainingKeys, bucket = minio.bucket) =>
  new ArtifactStore({ endpoint: minio.endpoint, ...keys, bucket, retries: 1 });

beforeAll(async () => {
  minio = await startMinio({ dir });
  root = new ArtifactStore({
    endpoint: minio.endpoint,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
    bucket: minio.bucket,
  });
  await root.put('forrest/v1/model.onnx', Buffer.from('forrest v1'));
  await root.put('brian/v1/model.onnx', Buffer.from('brian v1'));
});

afterAll(async () => {
  await minio?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a training Job's keys", () => {
  it("write, list, read and replace their own version, and read their model's other versions", async () => {
    const keys = await mintTrainingKeys(minter(), {
      bucket: minio.bucket,
      model: 'forrest',
      version: 'v2',
      lifetimeSeconds: 600,
    });
    expect(keys.accessKey).not.toBe(minio.users.minter.accessKey);
    expect(keys.sessionToken).not.toBe('');
    const job = withKeys(keys);
    // the trainer leaves the bucket alone with these keys: neither a look-up nor creation
    await expect(job.ensureBucket()).rejects.toMatchObject({ code: 'AccessDenied' });
    expect(await job.list('forrest/v2/')).toEqual([]);
    await job.put('forrest/v2/model.onnx', Buffer.from('partial'));
    expect(await job.list('forrest/v2/')).toEqual(['forrest/v2/model.onnx']);
    expect(await job.deletePrefix('forrest/v2/')).toBe(1); // an interrupted run's debris
    await job.put('forrest/v2/model.onnx', Buffer.from('forrest v2'));
    expect((await root.get('forrest/v2/model.onnx'))?.toString()).toBe('forrest v2');
    // the Production version it compares against
    expect((await job.get('forrest/v1/model.onnx'))?.toString()).toBe('forrest v1');
  });

  it("are refused another model's prefix, another version's writes and deletes, and listings outside", async () => {
    const job = withKeys(
      await mintTrainingKeys(minter(), {
        bucket: minio.bucket,
        model: 'forrest',
        version: 'v3',
        lifetimeSeconds: 600,
      }),
    );
    await expect(job.put('brian/v3/model.onnx', Buffer.from('x'))).rejects.toMatchObject(accessDenied);
    await expect(job.put('brian/v1/model.onnx', Buffer.from('x'))).rejects.toMatchObject(accessDenied);
    await expect(job.get('brian/v1/model.onnx')).rejects.toMatchObject(accessDenied);
    // a model whose name starts like another's is another model
    await expect(job.put('forrest-b/v3/model.onnx', Buffer.from('x'))).rejects.toMatchObject(accessDenied);
    // its model's other versions are read-only
    await expect(job.put('forrest/v1/model.onnx', Buffer.from('x'))).rejects.toMatchObject(accessDenied);
    await expect(job.deletePrefix('forrest/v1/')).rejects.toThrow(/AccessDenied|Access Denied/);
    await expect(job.list('brian/')).rejects.toMatchObject(accessDenied);
    await expect(job.list('forrest/')).rejects.toMatchObject(accessDenied);
    await expect(job.list('')).rejects.toMatchObject(accessDenied);
    expect((await root.get('forrest/v1/model.onnx'))?.toString()).toBe('forrest v1');
    expect((await root.get('brian/v1/model.onnx'))?.toString()).toBe('brian v1');
    // no other bucket
    const other = new ArtifactStore({ ...root.config, bucket: 'other-bucket' });
    await other.ensureBucket();
    await expect(
      withKeys(
        await mintTrainingKeys(minter(), {
          bucket: minio.bucket,
          model: 'x',
          version: 'v1',
          lifetimeSeconds: 600,
        }),
        'other-bucket',
      ).put('x/v1/model.onnx', Buffer.from('x')),
    ).rejects.toMatchObject(accessDenied);
  });

  it('are refused once their lifetime has passed', async () => {
    const keys = await mintTrainingKeys(minter(), {
      bucket: minio.bucket,
      model: 'brian',
      version: 'v2',
      lifetimeSeconds: 3,
    });
    const job = withKeys(keys);
    await job.put('brian/v2/model.onnx', Buffer.from('in time'));
    await new Promise((r) => setTimeout(r, Date.parse(keys.expiresAt) - Date.now() + 1500));
    await expect(job.put('brian/v2/model.onnx', Buffer.from('late'))).rejects.toMatchObject(accessDenied);
    await expect(job.get('brian/v2/model.onnx')).rejects.toMatchObject(accessDenied);
    expect((await root.get('brian/v2/model.onnx'))?.toString()).toBe('in time');
  });

  it('are fresh on every mint', async () => {
    const grant = { bucket: minio.bucket, model: 'logan', version: 'v1', lifetimeSeconds: STS_MIN_SECONDS };
    const [a, b] = [await mintTrainingKeys(minter(), grant), await mintTrainingKeys(minter(), grant)];
    expect(a.accessKey).not.toBe(b.accessKey);
    expect(a.secretKey).not.toBe(b.secretKey);
  });

  it('cannot be minted by a key that is not a MinIO user, and say why', async () => {
    await expect(
      mintTrainingKeys(
        { endpoint: minio.endpoint, accessKey: 'nobody', secretKey: 'not-a-secret' },
        { bucket: minio.bucket, model: 'logan', version: 'v1', lifetimeSeconds: 600 },
      ),
    ).rejects.toThrow(
      new RegExp(`^training keys for logan/v1: MinIO STS at ${minio.endpoint} refused the minter nobody: .+`),
    );
    await expect(
      mintTrainingKeys(minter(), { bucket: minio.bucket, model: 'logan', version: 'v1', lifetimeSeconds: 0 }),
    ).rejects.toThrow('training keys: lifetime 0 s is not allowed (more than 0, at most 31536000 s)');
  });
});
