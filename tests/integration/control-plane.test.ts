import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiextensionsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Job,
} from '@kubernetes/client-node';
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
    const out = execFileSync(
      binary('kubectl'),
      ['--kubeconfig', cp.kubeconfigPath, 'version', '-o', 'json'],
      {
        encoding: 'utf8',
      },
    );
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

  it('completes a Job whose pod runs node -e, and keeps its log', async () => {
    const batch = cp.kubeConfig.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: 'cp-test',
      body: {
        metadata: { name: 'node-job' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { app: 'node-job' } },
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'main',
                  image: 'node:20',
                  command: ['node', '-e', 'console.log("pod " + process.env.POD)'],
                  env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                },
              ],
            },
          },
        },
      },
    });
    const job = await waitForJob(batch, 'node-job', 'cp-test');
    expect(job.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const pod = (await core.listNamespacedPod({ namespace: 'cp-test', labelSelector: 'app=node-job' }))
      .items[0]!;
    expect(executor.logs('cp-test', pod.metadata!.name!)).toBe(`pod ${pod.metadata!.name}\n`);
    // the machine's kubectl lists the Job and its pod with the written kubeconfig
    const listed = execFileSync(
      binary('kubectl'),
      [
        '--kubeconfig',
        cp.kubeconfigPath,
        '-n',
        'cp-test',
        'get',
        'jobs,pods',
        '-l',
        'app=node-job',
        '-o',
        'name',
      ],
      { encoding: 'utf8' },
    );
    expect(listed).toContain(`pod/${pod.metadata!.name}`);
    const jobs = execFileSync(
      binary('kubectl'),
      ['--kubeconfig', cp.kubeconfigPath, '-n', 'cp-test', 'get', 'jobs'],
      {
        encoding: 'utf8',
      },
    );
    expect(jobs).toMatch(/node-job\s+Complete\s+1\/1/);
  });

  it("removes a deleted Job's pods through owner-reference garbage collection", async () => {
    const batch = cp.kubeConfig.makeApiClient(BatchV1Api);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await batch.deleteNamespacedJob({
      name: 'node-job',
      namespace: 'cp-test',
      propagationPolicy: 'Background',
    });
    for (let i = 0; i < 150; i++) {
      const pods = await core.listNamespacedPod({ namespace: 'cp-test', labelSelector: 'app=node-job' });
      if (pods.items.length === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the garbage collector did not remove the pods of the deleted Job');
  });

  it('serves a CRD: custom objects are created, read, status-patched and rejected when invalid', async () => {
    const ext = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'widgets.example.test' },
        spec: {
          group: 'example.test',
          scope: 'Namespaced',
          names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['size'],
                      properties: { size: { type: 'integer', minimum: 1, maximum: 10 } },
                    },
                    status: { type: 'object', properties: { phase: { type: 'string' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    const objects = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const ref = { group: 'example.test', version: 'v1', namespace: 'cp-test', plural: 'widgets' };
    for (let i = 0; ; i++) {
      try {
        await objects.createNamespacedCustomObject({
          ...ref,
          body: { apiVersion: 'example.test/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } },
        });
        break;
      } catch (err) {
        if (i > 50) throw err; // the CRD takes a moment to be established
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await objects.patchNamespacedCustomObjectStatus(
      { ...ref, name: 'w', body: { status: { phase: 'Ready' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const read = (await objects.getNamespacedCustomObject({ ...ref, name: 'w' })) as {
      spec: { size: number };
      status: { phase: string };
    };
    expect(read.spec.size).toBe(3);
    expect(read.status.phase).toBe('Ready');
    const rejected = await objects
      .createNamespacedCustomObject({
        ...ref,
        body: {
          apiVersion: 'example.test/v1',
          kind: 'Widget',
          metadata: { name: 'big' },
          spec: { size: 99 },
        },
      })
      .then(
        () => '',
        (err: { body?: string }) => String(err.body),
      );
    expect(rejected).toMatch(
      /spec\.size: Invalid value: 99: spec\.size in body should be less than or equal to 10/,
    );
  });

  it('marks a Job failed after its backoffLimit when its process exits 3', async () => {
    const batch = cp.kubeConfig.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: 'cp-test',
      body: {
        metadata: { name: 'sad' },
        spec: {
          backoffLimit: 1,
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
    // one try and one retry, then the Job controller gives up
    expect(job.status?.failed).toBe(2);
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'cp-test', labelSelector: 'job-name=sad' });
    expect(pods.items.map((p) => p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode)).toEqual([
      3, 3,
    ]);
  });

  it('names the component and shows its log tail when it fails to start, leaving nothing running', async () => {
    // MinIO refuses root credentials shorter than 3/8 characters and exits
    const failed = await startMinio({ dir: path.join(dir, 'bad'), accessKey: 'x', secretKey: 'short' }).catch(
      (e: Error) => e,
    );
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/^MinIO exited during start-up; last lines of .*minio\.log:\n/);
    expect((failed as Error).message).toMatch(/credential|access key|password/i);
  });

  it('refuses a port that is taken, naming the component and the port', async () => {
    const port = Number(new URL(minio.endpoint).port);
    const clash = await startMinio({ dir: path.join(dir, 'clash'), port }).catch((e: Error) => e);
    expect(clash).toBeInstanceOf(Error);
    expect((clash as Error).message).toBe(`MinIO: port ${port} on 127.0.0.1 is already in use`);
  });

  it('serves a MinIO bucket for artifacts', async () => {
    const store = new ArtifactStore(minio);
    await store.put('m/v1/hello.txt', Buffer.from('hi'));
    expect((await store.get('m/v1/hello.txt'))?.toString()).toBe('hi');
    expect(await store.get('m/v1/missing')).toBeNull();
    expect(await store.deletePrefix('m/')).toBe(1);
  });
});
