import {
  accuracyDropTrigger,
  observeAccuracyDrop,
  type AccuracyDropTrigger,
} from '../../decisions/accuracy-drop.ts';
import { driftTrigger, observeDrift } from '../../decisions/drift-trigger.ts';
import { decideTriggers, type TriggerObservation } from '../../decisions/trigger-episode.ts';
import { objectKey, type EpisodeTrigger } from '../../resources.ts';
import type { ModelState, StepResult } from './state.ts';

/** An episode ends once its trigger stayed quiet this many poll intervals. */
const EPISODE_QUIET_INTERVALS = 2;

export interface TriggerResult extends StepResult {
  /** the episode trigger that asks for a training run now, with its evidence */
  fire?: { trigger: EpisodeTrigger; evidence: string };
}

/**
 * The episode triggers listed in spec.training.triggers (drift, accuracyDrop): asks the game
 * server (at most once per poll interval), sets their conditions and episodes, and says which
 * one asks for a run now. Part of the training step.
 */
export async function episodeTriggers(state: ModelState): Promise<TriggerResult> {
  const { ctx, status, model } = state;
  const drift = driftTrigger(model.spec);
  const accuracyDrop = accuracyDropTrigger(model.spec);
  // conditions of triggers no longer listed go away
  const unlisted = [drift ? '' : 'DriftDetected', accuracyDrop ? '' : 'AccuracyDropped'];
  if (status.conditions?.some((c) => unlisted.includes(c.type))) {
    status.conditions = status.conditions.filter((c) => !unlisted.includes(c.type));
  }
  const key = objectKey(state.namespace, state.name);
  if (!drift && !accuracyDrop) {
    delete status.triggers;
    ctx.triggerChecks.delete(key);
    return {};
  }
  const production = status.aliases?.Production;
  const intervalMs = state.settings.intervalMs;
  const basis = JSON.stringify([
    model.metadata.uid,
    state.generation,
    model.metadata.annotations ?? {},
    production ?? null,
  ]);
  const now = state.now.getTime();
  const cached = ctx.triggerChecks.get(key);
  const age = cached ? now - cached.at : Infinity;
  const observations =
    cached && cached.basis === basis && age >= 0 && age < intervalMs
      ? cached.observations
      : await observe(state, drift, accuracyDrop, production);
  if (observations !== cached?.observations) ctx.triggerChecks.set(key, { basis, at: now, observations });
  const running = status.training?.version;
  const decision = decideTriggers({
    observations,
    previous: status.triggers,
    production,
    now: state.nowIso,
    ...(running && !status.versions?.some((v) => v.name === running) ? { running } : {}),
    quietMs: EPISODE_QUIET_INTERVALS * intervalMs,
  });
  for (const c of decision.conditions) state.condition(c);
  if (Object.keys(decision.triggers).length) status.triggers = decision.triggers;
  else delete status.triggers;
  // polled at the governing policy's interval (a minute without one)
  const checkedAt = ctx.triggerChecks.get(key)!.at;
  return {
    requeueAfterMs: Math.max(checkedAt + intervalMs - now, 1000),
    ...(decision.fire ? { fire: decision.fire } : {}),
  };
}

/** Asks the game server for what each listed episode trigger watches. */
async function observe(
  state: ModelState,
  drift: { threshold: number } | null,
  accuracyDrop: AccuracyDropTrigger | null,
  production: string | undefined,
): Promise<Partial<Record<EpisodeTrigger, TriggerObservation>>> {
  const game = state.ctx.game(state.namespace);
  const observations: Partial<Record<EpisodeTrigger, TriggerObservation>> = {};
  if (drift) {
    const observation = await game.drift(state.name).catch((err: Error) => err);
    observations.drift = observeDrift({ threshold: drift.threshold, production, observation });
  }
  if (accuracyDrop) {
    const since = new Date(state.now.getTime() - accuracyDrop.windowMs).toISOString();
    const stats = production
      ? await game.versionStats(state.name, since, true).catch((err: Error) => err)
      : [];
    observations.accuracyDrop = observeAccuracyDrop({
      trigger: accuracyDrop,
      production,
      testAccuracy: state.status.versions?.find((v) => v.name === production)?.metrics?.accuracy,
      stats,
    });
  }
  return observations;
}
