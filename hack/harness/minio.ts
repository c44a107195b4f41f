import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import { addPolicy, addUser, setUserPolicy, type MinioAdminConfig } from './minio-admin.ts';
import { binary, freePort, portFree, startProcess, waitFor } from './processes.ts';

/**
 * Who reads and writes the bucket, each with its own MinIO user and policy (config/minio/policies);
 * the minter writes nothing itself: the operator asks MinIO's STS with its keys for each training
 * Job's own, narrower keys (lib/training-keys.ts).
 */
export const MINIO_ROLES = ['game', 'minter', 'operator'] as const;
export type MinioRole = (typeof MINIO_ROLES)[number];

// a type, not an interface: it is also a Record<string, string> (a Secret's stringData)
export type MinioCredentials = { accessKey: string; secretKey: string };

const POLICY_DIR = fileURLToPath(new URL('../../config/minio/policies/', import.meta.url));

/** The policy of a role as config/minio/policies holds it, for another bucket than rps-models if asked. */
export function minioPolicy(role: MinioRole, bucket: string): object {
  const text = readFileSync(path.join(POLICY_DIR, `${role}.json`), 'utf8');
  return JSON.parse(text.replaceAll('arn:aws:s3:::rps-models', `arn:aws:s3:::${bucket}`)) as object;
}

/**
 * What config/minio's bucket Job does with `mc`: one user per role with the role's policy
 * (rps-quest-game, rps-quest-minter, rps-quest-operator). Idempotent: it sets the same again.
 */
export async function ensureMinioUsers(
  admin: MinioAdminConfig,
  bucket: string,
  users: Record<MinioRole, MinioCredentials>,
): Promise<void> {
  for (const role of MINIO_ROLES) {
    const policy = `rps-quest-${role}`;
    await addPolicy(admin, policy, minioPolicy(role, bucket));
    await addUser(admin, users[role].accessKey, users[role].secretKey);
    await setUserPolicy(admin, users[role].accessKey, policy);
  }
}

export interface MinioServer {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** the least-privilege users: the game server reads, the operator reads and deletes, the minter's keys mint the training Jobs' */
  users: Record<MinioRole, MinioCredentials>;
  dataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts a real MinIO server on a free loopback port, waits until it is ready and creates the bucket
 * and the users of the game server, the operator and the training keys' minter (their secret keys derive
 * from the root's).
 */
export async function startMinio(opts: {
  dir: string;
  bucket?: string;
  port?: number;
  accessKey?: string;
  secretKey?: string;
  logDir?: string;
}): Promise<MinioServer> {
  const dataDir = path.join(opts.dir, 'minio-data');
  mkdirSync(dataDir, { recursive: true });
  // a readiness check against someone else's server on a taken port would pass: refuse it first
  if (opts.port !== undefined && !(await portFree(opts.port))) {
    throw new Error(`MinIO: port ${opts.port} on 127.0.0.1 is already in use`);
  }
  const port = opts.port ?? (await freePort());
  const consolePort = await freePort();
  const accessKey = opts.accessKey ?? 'rpsquest';
  const secretKey = opts.secretKey ?? 'rpsquest-secret';
  const bucket = opts.bucket ?? 'rps-models';
  const users = Object.fromEntries(
    MINIO_ROLES.map((role) => [role, { accessKey: `rps-quest-${role}`, secretKey: `${secretKey}-${role}` }]),
  ) as Record<MinioRole, MinioCredentials>;
  const proc = startProcess(
    'minio',
    binary('minio'),
    [
      'server',
      dataDir,
      '--quiet',
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
    ],
    {
      logDir: opts.logDir ?? path.join(opts.dir, 'logs'),
      env: {
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
      },
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitFor('MinIO', async () => (await fetch(`${endpoint}/minio/health/ready`)).ok, { process: proc });
    await new ArtifactStore({ endpoint, accessKey, secretKey, bucket }).ensureBucket();
    await ensureMinioUsers({ endpoint, accessKey, secretKey }, bucket, users);
  } catch (err) {
    await proc.stop(); // nothing keeps running after a failed start
    throw err;
  }
  return {
    endpoint,
    accessKey,
    secretKey,
    bucket,
    users,
    dataDir,
    logFile: proc.logFile,
    stop: () => proc.stop(),
  };
}
