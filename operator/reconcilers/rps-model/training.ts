import { jobView } from '../../decisions/training-job.ts';
import { decideTraining, type TrainingAction } from '../../decisions/training.ts';
import { gatesPass } from '../../decisions/schedule.ts';
import { modelJobs } from './api.ts';
import { jobFailure, provideKeys, startTraining } from './jobs.ts';
import { recordFailure, recover, register } from './registration.ts';
import { combine, type ModelState, type StepResult } from './state.ts';
import { episodeTriggers } from './triggers.ts';

/**
 * The training step: one move of the training state machine (decisions/training.ts) from the
 * model, its Jobs and its episode triggers. Starting a Job ends the reconcile (status was written
 * before the Job was created).
 */
export async function training(state: ModelState): Promise<StepResult> {
  const jobs = modelJobs(state.ctx, state.model);
  // a Job created before a crash, or whose keys could not be minted then, gets them now
  for (const job of jobs) await provideKeys(state, job);
  const views = jobs.map(jobView);
  const triggers = await episodeTriggers(state);
  const input = () => ({ model: state.current(), jobs: views, now: state.now, triggered: triggers.fire });
  let action: TrainingAction = decideTraining(input());
  if (action.kind === 'checkGates') action = decideTraining({ ...input(), gates: await gates(state) });
  switch (action.kind) {
    case 'wait':
      state.condition(action.condition);
      if (action.training) state.status.training = action.training;
      return combine(triggers, { requeueAfterMs: action.requeueAfterMs });
    case 'register':
      return combine(triggers, await register(state, action.version, action.job));
    case 'recordFailure': {
      const job = jobs.find((j) => j.metadata.uid === action.job.uid)!;
      const message = await jobFailure(state, job);
      const { version, attempts, nextRetryTime } = action;
      return combine(
        triggers,
        recordFailure(state, version, action.job, message, attempts, nextRetryTime, 'TrainingFailed'),
      );
    }
    case 'recover': {
      const result = await recover(state, action.version);
      return result.done ? result : combine(triggers, result);
    }
    case 'start':
      // the triggers' poll waits: the reconcile after the Job started checks them again
      return startTraining(state, action);
    default:
      return { requeueAfterMs: triggers.requeueAfterMs };
  }
}

/** The data gates of scheduled training, counted at the game server. */
async function gates(state: ModelState): Promise<{ pass: boolean; message: string }> {
  const { minNewEvents, minTotalEvents } = state.model.spec.training;
  const last = (state.status.versions ?? []).at(-1)?.dataset?.lastEventId ?? 0;
  const game = state.ctx.game(state.namespace);
  try {
    const [newEvents, totalEvents] = await Promise.all([
      game.countEvents(last, minNewEvents),
      game.countEvents(0, minTotalEvents),
    ]);
    return gatesPass({ minNewEvents, minTotalEvents }, { newEvents, totalEvents });
  } catch (err) {
    return { pass: false, message: `could not count rounds at the game server: ${(err as Error).message}` };
  }
}
