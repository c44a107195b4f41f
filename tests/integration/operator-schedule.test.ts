// The cron schedule on a real API server, MinIO and trainer: the operator's clock is moved past
// each slot (the reconciler reads time only through `now`), the data gates count rounds at the
// game server's export endpoint. A slot with too few new rounds is skipped with WaitingForData and
// the counts; the next slot, with enough, trains a version whose trigger is `schedule`.
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
let offsetMs = 0;

beforeAll(async () => {
  env = await startOperatorEnv();
  env.game.setEvents(300);
  operator = await env.startOperator({}, { now: () => new Date(Date.now() + offsetMs) });
});

afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

const HOUR = 3600_000;

/** Moves the operator's clock to just after `time` and has it look at the model. */
async function jumpTo(time: Date): Promise<void> {
  offsetMs = time.getTime() + 1000 - Date.now();
  await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'carol', `poke=${time.getTime()}`, '--overwrite']);
}

describe('the training schedule', () => {
  it('skips a slot without enough new rounds and trains at the next one that has them', async () => {
    await apply(env, modelYaml('carol', { spec: "    schedule: '0 * * * *'\n    minNewEvents: 200" }));
    const first = await eventually('v1 and the next slot', async () => {
      const m = await getModel(env, 'carol');
      return m.status?.aliases?.Production === 'v1' && m.status.training?.nextScheduleTime ? m : undefined;
    });
    expect(first.status?.versions?.[0]?.trigger).toBe('created');
    const slot = new Date(first.status!.training!.nextScheduleTime!);
    expect(slot.getUTCMinutes()).toBe(0);
    expect(slot.getTime() - Date.now()).toBeLessThanOrEqual(HOUR);
    expect(condition(first, 'Training')?.message).toBe(
      `v1 is the latest version; next scheduled training at ${slot.toISOString()}`,
    );

    // the slot comes with no round since v1's data: skipped, and the next slot is an hour later
    await jumpTo(slot);
    const skipped = await eventually('the slot skipped', async () => {
      const m = await getModel(env, 'carol');
      if (condition(m, 'Training')?.reason === 'WaitingForData') return m;
      throw new Error(
        JSON.stringify({
          training: condition(m, 'Training'),
          status: m.status?.training,
          versions: m.status?.versions?.map((v) => [v.name, v.trigger, v.dataset]),
        }),
      );
    });
    const nextSlot = new Date(slot.getTime() + HOUR);
    expect(condition(skipped, 'Training')?.message).toBe(
      `scheduled training skipped: 0 new rounds since the last training, need 200; next check at ${nextSlot.toISOString()}`,
    );
    expect(skipped.status?.training?.nextScheduleTime).toBe(nextSlot.toISOString());
    expect(skipped.status?.versions?.map((v) => v.name)).toEqual(['v1']);

    // 300 more rounds arrive; the next slot trains
    env.game.setEvents(600);
    await jumpTo(nextSlot);
    const trained = await eventually('v2 from the schedule', async () => {
      const m = await getModel(env, 'carol');
      return m.status?.versions?.some((v) => v.name === 'v2') && !m.status.training?.version ? m : undefined;
    });
    const v2 = trained.status!.versions!.find((v) => v.name === 'v2')!;
    expect(v2.trigger).toBe('schedule');
    expect(v2.triggerEvidence).toBe('200 new and 150 total rounds pass the gates');
    expect(v2.dataset?.lastEventId).toBe(600);
    // the slot that trained is recorded: just after nextSlot on the operator's clock
    const lastSlot = new Date(trained.status!.training!.lastScheduleTime!).getTime();
    expect(lastSlot).toBeGreaterThanOrEqual(nextSlot.getTime());
    expect(lastSlot).toBeLessThan(nextSlot.getTime() + 60_000);
    const triggered = await eventMessages(env, 'carol', 'TrainingTriggered');
    expect(triggered).toEqual([`schedule started v2: ${v2.triggerEvidence}`]);
  });
});
