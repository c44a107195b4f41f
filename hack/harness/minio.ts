import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import { binary, freePort, portFree, startProcess, waitFor } from './processes.ts';

export interface MinioServer {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  dataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts a real MinIO server on a free loopback port, waits until it is ready and creates the bucket. */
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
  } catch (err) {
    await proc.stop(); // nothing keeps running after a failed start
    throw err;
  }
  return { endpoint, accessKey, secretKey, bucket, dataDir, logFile: proc.logFile, stop: () => proc.stop() };
}
