// The drift trigger on a real API server, MinIO and trainer; the game server's drift check is the
// stub's (the real endpoint is tested with the app): no drift → DriftDetected False and no Job;
// drift → DriftDetected True, one training run with trigger drift (the version's metadata names
// it) and a TrainingTriggered Event; the same drift does not train again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manager } from '../../operator/manager.ts';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  NAMESPACE,
  apply,
  condition,
  eventually,
  getModel,
  modelYaml,
  startOperatorEnv,
  type OperatorEnv,
} from './operator-fixtures.ts';

let env: OperatorEnv;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv();
  operator = await env.startOperator();
});

afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

function driftReply(version: string, score: number) {
  return {
    model: 'dana',
    version,
    drifted: score >= 0.2,
    insufficientData: false,
    score,
    threshold: 0.2,
    statistic: 'psi',
    rows: 1000,
  };
}

describe('the drift trigger', () => {
  it('sets DriftDetected from the game server and trains once per drift episode', async () => {
    env.game.drift.set('dana', driftReply('v1', 0.04));
    await apply(
      env,
      modelYaml('dana', { spec: '    triggers:\n      - type: drift\n        threshold: 0.2' }),
    );
    const calm = await eventually('v1 and no drift', async () => {
      const m = await getModel(env, 'dana');
      return m.status?.aliases?.Production === 'v1' && condition(m, 'DriftDetected')?.status === 'False'
        ? m
        : undefined;
    });
    expect(condition(calm, 'DriftDetected')).toMatchObject({ reason: 'NoDrift' });
    expect(condition(calm, 'DriftDetected')?.message).toMatch(
      /^PSI 0\.040 < 0\.2 on 1000 recent rounds against v1/,
    );

    // the players change
    env.game.drift.set('dana', driftReply('v1', 0.45));
    await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'dana', `poke=${Date.now()}`, '--overwrite']);
    const drifted = await eventually('a version trained for drift', async () => {
      const m = await getModel(env, 'dana');
      return m.status?.versions?.some((v) => v.name === 'v2') && !m.status.training?.version ? m : undefined;
    });
    expect(condition(drifted, 'DriftDetected')).toMatchObject({ status: 'True', reason: 'Drift' });
    expect(drifted.status?.training?.lastDriftProduction).toBe('v1');
    expect(drifted.status?.versions?.find((v) => v.name === 'v2')?.trigger).toBe('drift');
    const metadata = JSON.parse((await env.store.get('dana/v2/metadata.json'))!.toString()) as {
      trigger: string;
    };
    expect(metadata.trigger).toBe('drift');

    const events = await env.cp.kubeConfig
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: NAMESPACE });
    const triggered = events.items.filter(
      (e) => e.involvedObject.name === 'dana' && e.reason === 'TrainingTriggered',
    );
    expect(triggered).toHaveLength(1);
    expect(triggered[0]!.message).toMatch(/^drift of v1: PSI 0\.450 ≥ 0\.2/);

    // the same Production still drifts: no second run
    await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'dana', `poke=${Date.now()}`, '--overwrite']);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await getModel(env, 'dana');
    expect(after.status?.versions?.map((v) => v.name)).toEqual(['v1', 'v2']);
    expect(condition(after, 'DriftDetected')?.message).toMatch(/already trained for this drift/);
  });

  it('rejects an unknown trigger type with a message naming the field', async () => {
    const err = await apply(env, modelYaml('odd', { spec: '    triggers:\n      - type: weather' })).catch(
      (e: Error) => e.message,
    );
    expect(err).toMatch(
      /spec\.training\.triggers\[0\]\.type: Unsupported value: "weather": supported values: "drift"/,
    );
  });
});
