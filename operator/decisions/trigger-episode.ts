import type { EpisodeTrigger, RpsModelSpec, RpsModelStatus, TriggerEpisode } from '../resources.ts';
import type { ConditionInput } from './conditions.ts';

/** How often a model with a drift or accuracyDrop trigger asks the game server, without a governing policy. */
export const DEFAULT_TRIGGER_POLL_MS = 60_000;

/** The episode triggers in the order they are acted on when several fire at once. */
export const EPISODE_TRIGGERS: readonly EpisodeTrigger[] = ['drift', 'accuracyDrop'];

/** What one check of an episode trigger found (firing null: nothing can be concluded now). */
export interface TriggerObservation {
  condition: ConditionInput;
  firing: boolean | null;
  evidence: string;
}

/**
 * Whether `training.schedule` starts runs: without `triggers` the schedule alone does (as before
 * triggers existed); with `triggers` only when `schedule` is listed.
 */
export function scheduleEnabled(spec: RpsModelSpec): boolean {
  if (!spec.training?.schedule) return false;
  const triggers = spec.training.triggers;
  return !triggers || triggers.some((t) => t.type === 'schedule');
}

/**
 * The episode after one observation. Firing for Production starts an episode (or continues the
 * one of the same Production); not firing ends it; an inconclusive check changes nothing.
 */
export function advanceEpisode(
  previous: TriggerEpisode | undefined,
  input: { production: string | undefined; firing: boolean | null; now: string },
): TriggerEpisode | undefined {
  if (input.firing === null) return previous;
  if (!input.firing || !input.production) return undefined;
  if (previous?.production === input.production) return previous;
  return { production: input.production, since: input.now };
}

export interface TriggerDecision {
  /** the episodes to keep in status.triggers */
  triggers: Partial<Record<EpisodeTrigger, TriggerEpisode>>;
  /** the conditions to set (DriftDetected, AccuracyDropped) */
  conditions: ConditionInput[];
  /** the trigger that asks for a training run now, with its evidence */
  fire?: { trigger: EpisodeTrigger; evidence: string };
}

/**
 * From this reconcile's observations of the listed episode triggers: the episodes, the conditions,
 * and whether to train. A trigger asks for a run while it fires for the current Production and its
 * episode has not started one yet: once per episode, not again while the same Production keeps
 * firing (its conditions say which version was trained for it).
 */
export function decideTriggers(input: {
  observations: Partial<Record<EpisodeTrigger, TriggerObservation>>;
  previous: RpsModelStatus['triggers'];
  production: string | undefined;
  now: string;
}): TriggerDecision {
  const triggers: Partial<Record<EpisodeTrigger, TriggerEpisode>> = {};
  const conditions: ConditionInput[] = [];
  let fire: TriggerDecision['fire'];
  for (const trigger of EPISODE_TRIGGERS) {
    const observation = input.observations[trigger];
    if (!observation) continue;
    const episode = advanceEpisode(input.previous?.[trigger], {
      production: input.production,
      firing: observation.firing,
      now: input.now,
    });
    if (episode) triggers[trigger] = episode;
    const current =
      observation.firing === true &&
      input.production !== undefined &&
      episode?.production === input.production;
    if (current && episode?.trainedBy) {
      conditions.push({
        ...observation.condition,
        message: `${observation.condition.message}; ${episode.trainedBy} was trained for it`,
      });
    } else {
      conditions.push(observation.condition);
    }
    if (current && !episode?.trainedBy && !fire) fire = { trigger, evidence: observation.evidence };
  }
  return { triggers, conditions, ...(fire ? { fire } : {}) };
}

/** A triggered run started as `version`: every episode of this Production still open counts it. */
export function markTrained(
  triggers: RpsModelStatus['triggers'],
  production: string | undefined,
  version: string,
): Partial<Record<EpisodeTrigger, TriggerEpisode>> {
  const out: Partial<Record<EpisodeTrigger, TriggerEpisode>> = {};
  for (const t of EPISODE_TRIGGERS) {
    const e = triggers?.[t];
    if (!e) continue;
    out[t] = e.production === production && !e.trainedBy ? { ...e, trainedBy: version } : e;
  }
  return out;
}
