// The closed loop on real parts: the app (its drift check on its own SQLite rounds and the serving
// version's training reference in MinIO), the operator on a real API server, and the real trainer
// in Jobs run by the pod executor. A simulated population plays through the app's public API and
// switches from one synthetic player type to another; the app sees drift, the operator's drift
// trigger starts a training Job, and the new version's status and metadata.json name the trigger.
// A version trained on the new population, made Production, ends the drift.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReply } from '../../app/drift-monitor.ts';
import type { Manager } from '../../operator/manager.ts';
import {
  NAMESPACE,
  TOKEN,
  apply,
  condition,
  eventually,
  getModel,
  startOperatorEnv,
  startRealGameServer,
  type OperatorEnv,
  type RealGameServer,
} from './operator-fixtures.ts';

/** The app compares its latest 300 model rounds; each training run reads the newest 300 rounds. */
const WINDOW = 300;

let env: OperatorEnv;
let game: RealGameServer;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv();
  game = await startRealGameServer(env, { config: { driftWindowRounds: WINDOW, driftMinRows: 200 } });
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
    maxEvents: ${WINDOW}
    minTotalEvents: ${WINDOW}
    bootstrapGames: 0
    retryDelaySeconds: 1
    maxRetryDelaySeconds: 2
    triggers:
      - type: drift
        threshold: 0.2
${aliases}`;
}

async function driftOf(model: string): Promise<DriftReply> {
  const res = await fetch(`${game.url}/api/v1/stats/drift?model=${model}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as DriftReply;
}

describe('a population that changes retrains its bot', () => {
  it('Hal, then Cal: drift in the app, a drift-triggered Job, a version naming the trigger', async () => {
    // the first population: Hal, against the default bot (nothing served yet)
    await game.play('brian', 'Hal', WINDOW, 1);
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
    expect(calm.rows).toBeGreaterThanOrEqual(200);
    expect(calm.score).toBeLessThan(0.2);

    // the population switches to Cal
    await game.play('brian', 'Cal', WINDOW, 100);
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
      /^PSI \d+\.\d{3} ≥ 0\.2 on \d+ recent rounds against v1's training rows$/,
    );
    const metadata = JSON.parse((await env.store.get('brian/v2/metadata.json'))!.toString()) as {
      trigger: string;
      reference?: unknown;
    };
    expect(metadata.trigger).toBe('drift');
    expect(metadata.reference).toBeTruthy();
    const events = await env.cp.kubeConfig
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: NAMESPACE });
    const triggered = events.items.filter(
      (e) => e.involvedObject.name === 'brian' && e.reason === 'TrainingTriggered',
    );
    expect(triggered.map((e) => e.message)).toEqual([`drift started v2: ${v2.triggerEvidence}`]);
    // v2 enters as a shadow (the policy's default), Production stays v1 and keeps drifting
    expect(retrained.status?.aliases?.Production).toBe('v1');

    // a version trained on Cal alone, made Production by a pin, ends the drift
    await game.play('brian', 'Cal', WINDOW, 200);
    await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'brian', 'rpsquest.dev/train-now=1']);
    const v3 = await eventually('v3 trained on Cal', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.versions?.find((v) => v.name === 'v3');
    });
    expect(v3.trigger).toBe('trainNow');
    await apply(env, modelYaml('  aliases: { Production: v3 }\n'));
    const calmAgain = await eventually('no drift against v3', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === 'v3' &&
        condition(m, 'Served')?.status === 'True' &&
        condition(m, 'DriftDetected')?.status === 'False'
        ? m
        : undefined;
    });
    expect(condition(calmAgain, 'DriftDetected')?.message).toMatch(
      /^PSI \d+\.\d{3} < 0\.2 on \d+ recent rounds against v3's training rows$/,
    );
    const after = await driftOf('brian');
    expect(after).toMatchObject({ version: 'v3', drifted: false });
    expect(after.score).toBeLessThan(0.2);
    // the drift episode ended: nothing more was trained
    expect(calmAgain.status?.versions?.map((v) => v.name)).toEqual(['v1', 'v2', 'v3']);
  });
});
