// The drift and accuracyDrop triggers on a real API server, MinIO and trainer; the game server's
// drift check and stats are the stub's (the real endpoints are tested with the app): no drift →
// DriftDetected False and no Job; drift → DriftDetected True, one training run with trigger drift
// (the version's status and metadata name it, with the evidence) and a TrainingTriggered Event;
// the same drift does not train again. Production predicting recent rounds far below its test
// accuracy trains once with trigger accuracyDrop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manager } from '../../operator/manager.ts';
import {
  NAMESPACE,
  apply,
  condition,
  eventMessages,
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
    expect(drifted.status?.triggers?.drift).toMatchObject({ production: 'v1', trainedBy: 'v2' });
    const v2 = drifted.status?.versions?.find((v) => v.name === 'v2');
    expect(v2?.trigger).toBe('drift');
    expect(v2?.triggerEvidence).toMatch(/^PSI 0\.450 ≥ 0\.2 on 1000 recent rounds against v1/);
    // trained while v1 was Production: the trainer scored both on the same held-out rounds
    expect(v2?.evaluation).toMatchObject({ candidate: { version: 'v2' }, production: { version: 'v1' } });
    const metadata = JSON.parse((await env.store.get('dana/v2/metadata.json'))!.toString()) as {
      trigger: string;
    };
    expect(metadata.trigger).toBe('drift');

    const triggered = await eventMessages(env, 'dana', 'TrainingTriggered');
    expect(triggered).toHaveLength(1);
    expect(triggered[0]).toMatch(/^drift started v2: PSI 0\.450 ≥ 0\.2/);

    // the same Production still drifts: no second run
    await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'dana', `poke=${Date.now()}`, '--overwrite']);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await getModel(env, 'dana');
    expect(after.status?.versions?.map((v) => v.name)).toEqual(['v1', 'v2']);
    expect(condition(after, 'DriftDetected')?.message).toMatch(/; v2 was trained for it$/);
  });

  it('trains once when Production predicts recent rounds far below its test accuracy', async () => {
    await apply(
      env,
      modelYaml('ada', {
        spec: '    triggers:\n      - type: accuracyDrop\n        points: 10\n        minPredictions: 100\n        window: 30m',
      }),
    );
    const v1 = await eventually('ada v1, too few predictions to judge', async () => {
      const m = await getModel(env, 'ada');
      return m.status?.aliases?.Production === 'v1' &&
        condition(m, 'AccuracyDropped')?.reason === 'InsufficientData'
        ? m
        : undefined;
    });
    expect(condition(v1, 'AccuracyDropped')?.status).toBe('Unknown');
    const tested = v1.status!.versions![0]!.metrics!.accuracy;
    expect(tested).toBeGreaterThan(0.1);

    // Production now predicts none of 400 recent rounds
    const stat = { model: 'ada', games: 40, botWins: 20, botLosses: 20, ties: 0 };
    env.game.stats.set('ada', [{ ...stat, version: 'v1', predictions: 400, correct: 0 }]);
    const asked = Date.now();
    await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'ada', `poke=${Date.now()}`, '--overwrite']);
    const dropped = await eventually('a version trained for the accuracy drop', async () => {
      const m = await getModel(env, 'ada');
      return m.status?.versions?.some((v) => v.name === 'v2') && !m.status.training?.version ? m : undefined;
    });
    const query = env.game.statsQueries.filter((q) => q.model === 'ada').at(-1)!;
    expect(query.excludeSynthetic).toBe('false');
    // the window: the last 30 minutes
    expect(asked - new Date(query.since).getTime()).toBeGreaterThan(29 * 60_000);
    expect(asked - new Date(query.since).getTime()).toBeLessThan(31 * 60_000);
    expect(condition(dropped, 'AccuracyDropped')).toMatchObject({
      status: 'True',
      reason: 'AccuracyDropped',
    });
    const v2 = dropped.status!.versions!.find((v) => v.name === 'v2')!;
    expect(v2.trigger).toBe('accuracyDrop');
    expect(v2.triggerEvidence).toBe(
      `Production v1 had accuracy 0.000 on 400 rounds in the last 30m, its test accuracy is ${tested.toFixed(3)}: ${(tested * 100).toFixed(1)} points lower, more than 10`,
    );
    const triggered = await eventMessages(env, 'ada', 'TrainingTriggered');
    expect(triggered).toEqual([`accuracyDrop started v2: ${v2.triggerEvidence}`]);
  });

  it('asks the game server once per poll interval while games change its figures', async () => {
    // a game is played every 50 ms: each answer has other counts than the one before
    let predictions = 400;
    const stat = { model: 'ada', games: 40, botWins: 20, botLosses: 20, ties: 0 };
    const playing = setInterval(() => {
      predictions += 1;
      env.game.stats.set('ada', [{ ...stat, version: 'v1', predictions, correct: 0 }]);
    }, 50);
    try {
      const queries = () => env.game.statsQueries.filter((q) => q.model === 'ada').length;
      const before = queries();
      await new Promise((r) => setTimeout(r, 3000));
      // no policy governs ada: one check a minute, whatever the status writes in between
      expect(queries() - before).toBeLessThanOrEqual(1);
    } finally {
      clearInterval(playing);
    }
  });

  it('rejects an unknown trigger type with a message naming the field', async () => {
    const err = await apply(env, modelYaml('odd', { spec: '    triggers:\n      - type: weather' })).catch(
      (e: Error) => e.message,
    );
    expect(err).toMatch(
      /spec\.training\.triggers\[0\]\.type: Unsupported value: "weather": supported values: "schedule", "drift", "accuracyDrop"/,
    );
  });

  it('rejects trigger fields of another type, a bad window and a schedule trigger without a schedule', async () => {
    const reject = (triggers: string) =>
      apply(env, modelYaml('odd', { spec: `    triggers:\n${triggers}` })).catch((e: Error) => e.message);
    expect(await reject('      - type: drift\n        points: 5')).toMatch(
      /spec\.training\.triggers\[0\]\.points: Forbidden: points belongs to the accuracyDrop trigger only/,
    );
    expect(await reject('      - type: accuracyDrop\n        window: 10s')).toMatch(
      /spec\.training\.triggers\[0\]\.window: Invalid value: "string": must be a duration .*from 1m to 720h, got "10s"/,
    );
    expect(await reject('      - type: schedule\n        maxEvents: 1000')).toMatch(
      /spec\.training\.triggers\[0\]\.maxEvents: Forbidden: maxEvents belongs to the drift and accuracyDrop triggers only/,
    );
    expect(await reject('      - type: drift\n        maxEvents: 10')).toMatch(
      /spec\.training\.triggers\[0\]\.maxEvents: Invalid value: 10: spec\.training\.triggers\[0\]\.maxEvents in body should be greater than or equal to 100/,
    );
    expect(await reject('      - type: schedule')).toMatch(
      /spec\.training\.triggers: Required value: the schedule trigger needs training\.schedule/,
    );
  });
});
