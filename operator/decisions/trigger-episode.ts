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
 * one of the same Production); an inconclusive check changes nothing. Not firing ends it only
 * once it has stayed quiet for `quietMs` (so a score hovering at the threshold does not start a
 * run at every crossing); a different Production ends it at once.
 */
export function advanceEpisode(
  previous: TriggerEpisode | undefined,
  input: { production: string | undefined; firing: boolean | null; now: string; quietMs?: number },
): TriggerEpisode | undefined {
  if (input.firing === null) return previous;
  const same = previous !== undefined && previous.production === input.production;
  if (!input.firing || !input.production) {
    if (!same || !input.production || !input.quietMs) return undefined;
    if (!previous.quietSince) return { ...previous, quietSince: input.now };
    const quiet = Date.parse(input.now) - Date.parse(previous.quietSince);
    return quiet >= input.quietMs ? undefined : previous;
  }
  if (same) {
    if (!previous.quietSince) return previous;
    const { quietSince: _quiet, ...open } = previous;
    return open;
  }
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
  /** a version being trained now: an episode of this Production counts it as its run */
  running?: string;
  /** how long a trigger must stay quiet before its episode ends (default: at once) */
  quietMs?: number;
}): TriggerDecision {
  const triggers: Partial<Record<EpisodeTrigger, TriggerEpisode>> = {};
  const conditions: ConditionInput[] = [];
  let fire: TriggerDecision['fire'];
  for (const trigger of EPISODE_TRIGGERS) {
    const observation = input.observations[trigger];
    if (!observation) continue;
    let episode = advanceEpisode(input.previous?.[trigger], {
      production: input.production,
      firing: observation.firing,
      now: input.now,
      ...(input.quietMs !== undefined ? { quietMs: input.quietMs } : {}),
    });
    if (episode && !episode.trainedBy && input.running && episode.production === input.production) {
      episode = { ...episode, trainedBy: input.running };
    }
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
