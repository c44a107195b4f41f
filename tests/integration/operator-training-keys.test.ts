import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1Secret } from '@kubernetes/client-node';
import { mintTrainingKeys } from '../../lib/training-keys.ts';
import type { Job } from '../../operator/decisions/training-job.ts';
import {
  NAMESPACE,
  apply,
  condition,
  eventMessages,
  eventually,
  getModel,
  jobsOf,
  modelYaml,
  startOperatorEnv,
  type OperatorEnv,
} from './operator-fixtures.ts';

// How the operator hands each training Job its own keys (a Secret the Job owns, written while the
// Job waits suspended), against a real API server, MinIO and pod executor.

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv();
});

afterAll(async () => {
  await env?.stop();
});

const SECRET_ANNOTATION = 'rpsquest.dev/s3-secret';

async function secret(name: string): Promise<V1Secret | undefined> {
  return env.kube.core
    .readNamespacedSecret({ name, namespace: NAMESPACE })
    .catch((err: { code?: number }) => {
      if (err.code === 404) return undefined;
      throw err;
    });
}

const suspended = (job: Job) => (job.spec as { suspend?: boolean }).suspend === true;

async function untilReady(model: string) {
  return eventually(
    `${model} Ready`,
    async () => {
      const m = await getModel(env, model);
      return condition(m, 'Ready')?.status === 'True' ? m : undefined;
    },
    120_000,
  );
}

describe("a training Job's keys", () => {
  it('a Job left suspended without its keys (or with them written) is resumed by the next operator', async () => {
    // an operator whose minter MinIO refuses: it creates each Job suspended and can go no further,
    // as if it had crashed right after creating the Job
    const broken = await env.startOperator({
      keyMinter: { accessKey: env.minio.users.minter.accessKey, secretKey: 'not-the-minter-secret' },
    });
    await apply(env, modelYaml('logan'));
    await apply(env, modelYaml('forrest'));
    const waiting = async (model: string) =>
      eventually(`${model}'s suspended Job`, async () => (await jobsOf(env, model))[0]);
    const [logan, forrest] = [await waiting('logan'), await waiting('forrest')];
    // several reconciles later nothing has moved: no Secret, no pod
    await new Promise((r) => setTimeout(r, 3000));
    for (const job of [logan, forrest]) {
      const [now] = await jobsOf(env, job.metadata.labels!['rpsquest.dev/model']!);
      expect(suspended(now!)).toBe(true);
      expect(await secret(job.metadata.annotations![SECRET_ANNOTATION]!)).toBeUndefined();
    }
    // and the model says why
    const why = await eventually(
      'the Warning',
      async () => (await eventMessages(env, 'logan', 'TrainingKeysUnavailable'))[0],
    );
    expect(why).toMatch(
      /^Job logan-train-v1 waits for its object store keys: training keys for logan\/v1: MinIO STS at http:\/\/127\.0\.0\.1:\d+ refused the minter rps-quest-minter: .*AccessDenied/,
    );
    const pods = await env.kube.core.listNamespacedPod({ namespace: NAMESPACE });
    expect(
      pods.items.filter((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === 'trainer'),
    ).toEqual([]);
    await broken.stop();

    // forrest's Secret was written before the crash (keys minted for forrest/v1, owned by its Job)
    const keys = await mintTrainingKeys(
      { endpoint: env.minio.endpoint, ...env.minio.users.minter },
      { bucket: env.minio.bucket, model: 'forrest', version: 'v1', lifetimeSeconds: 900 },
    );
    const forrestSecret = forrest.metadata.annotations![SECRET_ANNOTATION]!;
    await env.kube.core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: {
          name: forrestSecret,
          ownerReferences: [
            { apiVersion: 'batch/v1', kind: 'Job', name: forrest.metadata.name, uid: forrest.metadata.uid! },
          ],
        },
        stringData: { accessKey: keys.accessKey, secretKey: keys.secretKey, sessionToken: keys.sessionToken },
      },
    });

    const operator = await env.startOperator();
    try {
      for (const model of ['logan', 'forrest']) await untilReady(model);
      // the same Jobs, resumed; logan's keys written now, forrest's kept
      const [loganJob] = await jobsOf(env, 'logan');
      expect(loganJob!.metadata.uid).toBe(logan.metadata.uid);
      expect(suspended(loganJob!)).toBe(false);
      const loganSecret = await secret(logan.metadata.annotations![SECRET_ANNOTATION]!);
      expect(loganSecret?.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'Job',
        uid: logan.metadata.uid,
      });
      // the expiry people read on the Secret: after now, at most the Job's deadline plus the margin
      const expiresAt = Date.parse(loganSecret?.metadata?.annotations?.['rpsquest.dev/expires-at'] ?? '');
      const deadline = (loganJob!.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds ?? 3600;
      expect(expiresAt).toBeGreaterThan(Date.now());
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + (deadline + 600) * 1000);
      const kept = await secret(forrestSecret);
      expect(Buffer.from(kept!.data!.accessKey!, 'base64').toString()).toBe(keys.accessKey);
      expect((await jobsOf(env, 'forrest'))[0]!.metadata.uid).toBe(forrest.metadata.uid);
    } finally {
      await operator.stop();
    }
  });

  it('a retried Job gets a Secret of its own with fresh keys', async () => {
    const operator = await env.startOperator();
    try {
      // no data and no cold-start corpus: every attempt fails, and each retry is a new Job
      await apply(
        env,
        modelYaml('bare')
          .replace('bootstrapGames: 12', 'bootstrapGames: 0')
          .replace('minTotalEvents: 150', 'minTotalEvents: 0'),
      );
      const first = await eventually('the first attempt', async () => (await jobsOf(env, 'bare'))[0]);
      const firstKeys = await eventually('its keys', () =>
        secret(first.metadata.annotations![SECRET_ANNOTATION]!),
      );
      const retry = await eventually('a retry', async () => {
        const [job] = await jobsOf(env, 'bare');
        return job && job.metadata.uid !== first.metadata.uid && !job.metadata.deletionTimestamp
          ? job
          : undefined;
      });
      const name = retry.metadata.annotations![SECRET_ANNOTATION]!;
      expect(name).not.toBe(first.metadata.annotations![SECRET_ANNOTATION]);
      expect(name).toMatch(/^bare-train-v1-s3-[0-9a-f]{8}$/);
      const retryKeys = await eventually('the retry keys', () => secret(name));
      expect(retryKeys.metadata?.ownerReferences?.[0]?.uid).toBe(retry.metadata.uid);
      expect(retryKeys.data!.accessKey).not.toBe(firstKeys.data!.accessKey);
    } finally {
      await operator.stop();
    }
  });
});
