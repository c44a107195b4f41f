import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import { startMinio, type MinioRole, type MinioServer } from '../../hack/harness/index.ts';
import { addUser, setUserPolicy } from '../../hack/harness/minio-admin.ts';
import { ensureMinioUsers } from '../../hack/harness/minio.ts';

// The least-privilege users of the bucket set-up (config/minio/policies) on a real MinIO.
const dir = mkdtempSync(join(tmpdir(), 'minio-access-'));
let minio: MinioServer;
let root: ArtifactStore;

const as = (role: MinioRole, bucket = minio.bucket) =>
  new ArtifactStore({ endpoint: minio.endpoint, ...minio.users[role], bucket, retries: 1 });

const accessDenied = { code: 'AccessDenied' };

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
