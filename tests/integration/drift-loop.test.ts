// The closed loop on real parts: the app (its drift check on its own SQLite rounds and the serving
// version's training reference in MinIO), the operator on a real API server, and the real trainer
// in Jobs run by the pod executor. A simulated population plays through the app's public API and
// switches from one synthetic player type to another; the app sees drift, the operator's drift
// trigger starts a training Job, and the new version's status and metadata.json name the trigger;
// the same Production drifting on does not train again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotDrift } from '../../core/index.ts';
import type { Manager } from '../../operator/manager.ts';
import {
  NAMESPACE,
  TOKEN,
  apply,
  condition,
  eventMessages,
  eventually,
  getModel,
  startOperatorEnv,
  startRealGameServer,
  type OperatorEnv,
  type RealGameServer,
} from './operator-fixtures.ts';

/**
 * Each training run reads the newest 800 rounds (about 570 rows from round 4 on); the app compares
 * its latest 500 model rounds with them. Samples of this size keep the PSI of an unchanged
 * population well under 0.2 (at 300 it came close).
 */
const ROUNDS = 800;
const WINDOW = 500;

let env: OperatorEnv;
let game: RealGameServer;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv();
  game = await startRealGameServer(env, {
    config: { driftWindowRounds: WINDOW, driftMinRows: 400, driftMinReferenceRows: 200 },
  });
  operator = await env.startOperator({ gameUrl: game.url });
});

afterAll(async () => {
  await operator?.stop();
  await game?.stop();
  await env?.stop();
});

const POLICY = `apiVersion: rpsquest.dev/v1alpha1
kind: PromotionPolicy
metadata:
  name: default
  namespace: ${NAMESPACE}
spec:
  models: [brian]
  interval: 5s
  includeSyntheticPlayers: true
  # every game against Production: the players' habits then depend on one bot only
  trafficSplit: { Production: 1, B: 0 }
  test:
    twoProportionZ: { alpha: 0.01, minGames: 100000 }
`;

function modelYaml(aliases = ''): string {
  return `apiVersion: rpsquest.dev/v1alpha1
kind: RpsModel
metadata:
  name: brian
  namespace: ${NAMESPACE}
spec:
  displayName: Brian
  algorithm: logistic
  hyperparameters: { epochs: 20, learningRate: 0.05, batchSize: 64, patience: 3 }
  training:
    maxEvents: ${2 * ROUNDS}
    minTotalEvents: ${ROUNDS}
    bootstrapGames: 0
    retryDelaySeconds: 1
    maxRetryDelaySeconds: 2
    triggers:
      - type: drift
        threshold: 0.2
        # the drift run reads only the newest rounds: the players who drifted
        maxEvents: ${ROUNDS}
${aliases}`;
}

async function driftOf(model: string): Promise<BotDrift> {
  const res = await fetch(`${game.url}/api/v1/stats/drift?model=${model}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as BotDrift;
}

describe('a population that changes retrains its bot', () => {
  it('Hal, then Cal: drift in the app, a drift-triggered Job, a version naming the trigger', async () => {
    // the first population: Hal, against the default bot (nothing served yet)
    await game.play('brian', 'Hal', ROUNDS, 1);
    await apply(env, POLICY);
    await apply(env, modelYaml());
    const settled = await eventually('v1 served, no drift', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === 'v1' &&
        condition(m, 'Served')?.status === 'True' &&
        condition(m, 'DriftDetected')?.status === 'False'
        ? m
        : undefined;
    });
    expect(condition(settled, 'DriftDetected')).toMatchObject({ reason: 'NoDrift' });
    const calm = await driftOf('brian');
    expect(calm).toMatchObject({ version: 'v1', drifted: false, insufficientData: false });
    expect(calm.rows).toBe(WINDOW);
    expect(calm.score).toBeLessThan(0.2);

    // the population switches to Cal
    await game.play('brian', 'Cal', ROUNDS, 100);
    const drifting = await driftOf('brian');
    expect(drifting).toMatchObject({ version: 'v1', drifted: true, insufficientData: false });
    expect(drifting.score).toBeGreaterThanOrEqual(0.2);

    const retrained = await eventually('a version trained for the drift', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.versions?.some((v) => v.name === 'v2') && !m.status.training?.version ? m : undefined;
    });
    expect(condition(retrained, 'DriftDetected')).toMatchObject({ status: 'True', reason: 'Drift' });
    expect(retrained.status?.triggers?.drift).toMatchObject({ production: 'v1', trainedBy: 'v2' });
    const v2 = retrained.status!.versions!.find((v) => v.name === 'v2')!;
    expect(v2.trigger).toBe('drift');
    expect(v2.triggerEvidence).toMatch(
      /^PSI \d+\.\d{3} ≥ 0\.2 on 500 recent rounds against v1's \d+ training rows$/,
    );
    const metadata = JSON.parse((await env.store.get('brian/v2/metadata.json'))!.toString()) as {
      trigger: string;
      reference?: unknown;
    };
    expect(metadata.trigger).toBe('drift');
    expect(metadata.reference).toBeTruthy();
    // v2 read only the trigger's newest ROUNDS rounds of the more there were (Hal's and Cal's),
    // where training.maxEvents would have taken them all
    expect(v2.dataset?.events).toBeLessThanOrEqual(ROUNDS);
    expect(v2.dataset!.lastEventId!).toBeGreaterThan(v2.dataset!.events + 100);
    const job = (await env.kube.custom.getNamespacedCustomObject({
      group: 'batch',
      version: 'v1',
      namespace: NAMESPACE,
      plural: 'jobs',
      name: 'brian-train-v2',
    })) as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
    expect(job.spec.template.spec.containers[0]!.env.find((e) => e.name === 'RPS_MAX_EVENTS')?.value).toBe(
      String(ROUNDS),
    );
    const triggered = await eventMessages(env, 'brian', 'TrainingTriggered');
    expect(triggered).toEqual([`drift started v2: ${v2.triggerEvidence}`]);
    // v2 enters as a shadow (the policy's default), Production stays v1 and keeps drifting
    expect(retrained.status?.aliases?.Production).toBe('v1');

    // the same Production drifting on does not train again: more of Cal, a fresh check (the
    // annotation) and a poll interval later, still v1 and v2
    await game.play('brian', 'Cal', 200, 300);
    expect(await driftOf('brian')).toMatchObject({ version: 'v1', drifted: true });
    await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'brian', `check=${Date.now()}`]);
    await new Promise((r) => setTimeout(r, 6000));
    const still = await getModel(env, 'brian');
    expect(still.status?.versions?.map((v) => v.name)).toEqual(['v1', 'v2']);
    expect(condition(still, 'DriftDetected')).toMatchObject({ status: 'True', reason: 'Drift' });
    expect(condition(still, 'DriftDetected')?.message).toMatch(/; v2 was trained for it$/);
  });
});
