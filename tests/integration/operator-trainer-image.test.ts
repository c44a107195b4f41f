// The training Jobs run the operator's own image when TRAINER_IMAGE is not set: read from the
// operator's Pod (POD_NAME), so that one kustomize `images:` entry moves both.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manager } from '../../operator/manager.ts';
import {
  NAMESPACE,
  apply,
  eventually,
  jobsOf,
  modelYaml,
  startOperatorEnv,
  type OperatorEnv,
} from './operator-fixtures.ts';

const IMAGE = 'registry.example/rps-quest:1.2.3';
const POD = 'rps-quest-operator-7d4b9-x2x8q';

let env: OperatorEnv;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv();
  // the operator's Pod as the Deployment creates it (no Job owns it, so the pod executor leaves it be)
  await env.cp.kubeConfig.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: NAMESPACE,
    body: {
      metadata: { name: POD },
      spec: {
        containers: [
          { name: 'metrics-proxy', image: 'proxy:1' },
          { name: 'operator', image: IMAGE, command: ['rpsq', 'operator'] },
        ],
      },
    },
  });
  operator = await env.startOperator({ trainerImage: null, identity: POD });
});

afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

describe('the trainer image', () => {
  it("is the operator container's image when TRAINER_IMAGE is not set", async () => {
    await apply(env, modelYaml('brian'));
    const [job] = await eventually('the training Job', async () => {
      const jobs = await jobsOf(env, 'brian');
      return jobs.length ? jobs : undefined;
    });
    const spec = job!.spec as { template: { spec: { containers: { image: string }[] } } };
    expect(spec.template.spec.containers[0]!.image).toBe(IMAGE);
  });
});
