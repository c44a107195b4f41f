import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import { startMinio, type MinioRole, type MinioServer } from '../../hack/harness/index.ts';
import { addUser, setUserPolicy } from '../../hack/harness/minio-admin.ts';
import { ensureMinioUsers } from '../../hack/harness/minio.ts';
import { mintTrainingKeys, STS_MIN_SECONDS, type TrainingKeys } from '../../lib/training-keys.ts';

// The least-privilege users of the bucket set-up (config/minio/policies), and the training Jobs'
// keys minted with the minter's (MinIO STS AssumeRole with a session policy), on a real MinIO.
const dir = mkdtempSync(join(tmpdir(), 'minio-access-'));
let minio: MinioServer;
let root: ArtifactStore;

const as = (role: MinioRole, bucket = minio.bucket) =>
  new ArtifactStore({ endpoint: minio.endpoint, ...minio.users[role], bucket, retries: 1 });

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

describe('MinIO users of the bucket set-up', () => {
  it("the game server's can read and list, and can neither write nor delete", async () => {
    const game = as('game');
    expect((await game.get('forrest/v1/model.onnx'))?.toString()).toBe('forrest v1');
    expect(await game.get('forrest/v9/model.onnx')).toBeNull(); // a missing key reads as missing
    expect(await game.list('forrest/')).toEqual(['forrest/v1/model.onnx']);
    await expect(game.put('forrest/v2/model.onnx', Buffer.from('x'))).rejects.toMatchObject(accessDenied);
    await expect(game.put('forrest/v1/model.onnx', Buffer.from('x'))).rejects.toMatchObject(accessDenied);
    await expect(game.deletePrefix('forrest/')).rejects.toThrow(
      'delete forrest/: 1 of 1 objects not deleted (forrest/v1/model.onnx: AccessDenied: Access Denied.)',
    );
    expect((await root.get('forrest/v1/model.onnx'))?.toString()).toBe('forrest v1');
  });

  it("the operator's can read and delete, and cannot write", async () => {
    const operator = as('operator');
    await root.put('logan/v1/model.onnx', Buffer.from('logan v1'));
    expect((await operator.get('logan/v1/model.onnx'))?.toString()).toBe('logan v1');
    await expect(operator.put('logan/v2/model.onnx', Buffer.from('x'))).rejects.toMatchObject(accessDenied);
    expect(await operator.deletePrefix('logan/')).toBe(1);
    expect(await root.list('logan/')).toEqual([]);
  });

  it("the minter's can read, write and delete objects of the bucket, and nothing outside it", async () => {
    const minter = as('minter');
    await minter.ensureBucket();
    await minter.put('forrest/v2/model.onnx', Buffer.from('forrest v2'));
    expect((await minter.get('forrest/v2/model.onnx'))?.toString()).toBe('forrest v2');
    expect(await minter.deletePrefix('forrest/v2/')).toBe(1);
    // no other bucket, no new bucket
    const other = new ArtifactStore({ ...root.config, bucket: 'other-bucket' });
    await other.ensureBucket();
    await other.put('x/v1/model.onnx', Buffer.from('other'));
    await expect(as('minter', 'other-bucket').get('x/v1/model.onnx')).rejects.toMatchObject(accessDenied);
    await expect(as('minter', 'other-bucket').put('x/v2/model.onnx', Buffer.from('x'))).rejects.toMatchObject(
      accessDenied,
    );
    await expect(as('minter', 'new-bucket').ensureBucket()).rejects.toMatchObject(accessDenied);
    // and no admin API: the minter cannot give itself more
    await expect(
      setUserPolicy(
        { endpoint: minio.endpoint, ...minio.users.minter },
        minio.users.minter.accessKey,
        'readwrite',
      ),
    ).rejects.toThrow(/set policy readwrite for rps-quest-minter .* failed: HTTP 403/);
  });

  it('the set-up runs again without a change, and a changed secret key takes effect', async () => {
    const admin = { endpoint: minio.endpoint, accessKey: minio.accessKey, secretKey: minio.secretKey };
    await ensureMinioUsers(admin, minio.bucket, minio.users);
    expect((await as('game').get('brian/v1/model.onnx'))?.toString()).toBe('brian v1');
    await addUser(admin, 'rps-quest-game', 'a-rotated-game-secret');
    await expect(as('game').get('brian/v1/model.onnx')).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    await ensureMinioUsers(admin, minio.bucket, minio.users);
    expect((await as('game').get('brian/v1/model.onnx'))?.toString()).toBe('brian v1');
  });

  it('says which call failed, where and why when the admin credentials are wrong', async () => {
    await expect(
      addUser(
        { endpoint: minio.endpoint, accessKey: minio.accessKey, secretKey: 'not-the-secret' },
        'someone',
        'secret123',
      ),
    ).rejects.toThrow(new RegExp(`^MinIO admin: add user someone at ${minio.endpoint} failed: HTTP 403: .+`));
  });
});

describe("a training Job's keys", () => {
  it("write, list, read and replace their own version, and read their model's other versions", async () => {
    const keys = await mintTrainingKeys(minter(), {
      bucket: minio.bucket,
      model: 'forrest',
      version: 'v7',
      lifetimeSeconds: 600,
    });
    expect(keys.accessKey).not.toBe(minio.users.minter.accessKey);
    expect(keys.sessionToken).not.toBe('');
    const job = withKeys(keys);
    // the trainer leaves the bucket alone with these keys: neither a look-up nor creation
    await expect(job.ensureBucket()).rejects.toMatchObject({ code: 'AccessDenied' });
    expect(await job.list('forrest/v7/')).toEqual([]);
    await job.put('forrest/v7/model.onnx', Buffer.from('partial'));
    expect(await job.list('forrest/v7/')).toEqual(['forrest/v7/model.onnx']);
    expect(await job.deletePrefix('forrest/v7/')).toBe(1); // an interrupted run's debris
    await job.put('forrest/v7/model.onnx', Buffer.from('forrest v7'));
    expect((await root.get('forrest/v7/model.onnx'))?.toString()).toBe('forrest v7');
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
