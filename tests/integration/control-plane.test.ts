import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchV1Api, CoreV1Api, type V1Job } from '@kubernetes/client-node';
import { ArtifactStore } from '../../lib/artifact-store.ts';
import {
  binary,
  startControlPlane,
  startMinio,
  startPodExecutor,
  type ControlPlane,
  type MinioServer,
  type PodExecutor,
} from '../../hack/harness/index.ts';

let dir: string;
let cp: ControlPlane;
let minio: MinioServer;
let executor: PodExecutor;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rps-cp-'));
  [cp, minio] = await Promise.all([startControlPlane({ dir, fsync: false }), startMinio({ dir })]);
  executor = await startPodExecutor({ kubeConfig: cp.kubeConfig, logDir: path.join(dir, 'pods') });
});

afterAll(async () => {
  await executor?.stop();
  await cp?.stop();
  await minio?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitForJob(batch: BatchV1Api, name: string, namespace: string): Promise<V1Job> {
  for (let i = 0; i < 300; i++) {
    const job = await batch.readNamespacedJob({ name, namespace });
    const done = job.status?.conditions?.find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    if (done) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${name} did not finish`);
}

describe('local control plane', () => {
  it('serves the Kubernetes API to kubectl with the written kubeconfig', () => {
    const out = execFileSync(binary('kubectl'), ['--kubeconfig', cp.kubeconfigPath, 'version', '-o', 'json'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out).serverVersion.gitVersion).toMatch(/^v1\.3[34]\./);
  });

  it('rejects a request without the admin token', async () => {
    const res = await fetch(`${cp.server}/api/v1/namespaces`).catch((e: Error) => e);
    // self-signed serving certificate: either TLS refuses or the API answers 401/403
    if (res instanceof Error) expect(res.message).toMatch(/fetch failed/);
    else expect([401, 403]).toContain(res.status);
  });

  it('runs a Job to completion through the pod executor, with env from a Secret and the termination message', async () => {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const batch = cp.kubeConfig.makeApiClient(BatchV1Api);
    await core.createNamespace({ body: { metadata: { name: 'cp-test' } } });
    await core.createNamespacedSecret({
      namespace: 'cp-test',
      body: { metadata: { name: 's' }, stringData: { word: 'kiwi' } },
    });
    await batch.createNamespacedJob({
      namespace: 'cp-test',
      body: {
        metadata: { name: 'hello' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'main',
                  image: 'busybox',
                  command: ['sh', '-c', 'printf "{\\"said\\":\\"%s\\"}" "$WORD" > "$RPS_TERMINATION_LOG"'],
                  env: [{ name: 'WORD', valueFrom: { secretKeyRef: { name: 's', key: 'word' } } }],
                },
              ],
            },
          },
        },
      },
    });
    const job = await waitForJob(batch, 'hello', 'cp-test');
    expect(job.status?.succeeded).toBe(1);
    const pods = await core.listNamespacedPod({ namespace: 'cp-test', labelSelector: 'job-name=hello' });
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.terminated?.message).toBe('{"said":"kiwi"}');
  });

  it('marks a Job failed when its process exits non-zero', async () => {
    const batch = cp.kubeConfig.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: 'cp-test',
      body: {
        metadata: { name: 'sad' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit 3'] }],
            },
          },
        },
      },
    });
    const job = await waitForJob(batch, 'sad', 'cp-test');
    expect(job.status?.failed).toBe(1);
  });

  it('serves a MinIO bucket for artifacts', async () => {
    const store = new ArtifactStore(minio);
    await store.put('m/v1/hello.txt', Buffer.from('hi'));
    expect((await store.get('m/v1/hello.txt'))?.toString()).toBe('hi');
    expect(await store.get('m/v1/missing')).toBeNull();
    expect(await store.deletePrefix('m/')).toBe(1);
  });
});
