import type { AliasMap, Condition, RpsModelStatus } from '../resources.ts';
import { applyPins } from './aliases.ts';
import type { ConditionInput } from './conditions.ts';

/** The pins of spec.aliases that name a version not registered, as `alias: version`. */
export function missingPins(pins: AliasMap | undefined, status: RpsModelStatus): string[] {
  const registered = new Set((status.versions ?? []).map((v) => v.name));
  return applyPins({}, pins, registered).missing.map((m) => `${m.alias}: ${m.version}`);
}

/** What the printer columns and the Ready condition say, from what the steps left in status. */
export interface ReadySummary {
  /** the newest registered version; undefined leaves status.latestVersion as it was */
  latestVersion?: string;
  /** Production's held-out accuracy (four decimals); undefined removes it */
  accuracy?: number;
  ready: ConditionInput;
}

/**
 * Ready is True when Production's manifest is served. Otherwise the first of: pins naming missing
 * versions, no Production yet (a failing training says why), the game server unreachable, not served.
 */
export function readySummary(status: RpsModelStatus, missing: readonly string[]): ReadySummary {
  const versions = status.versions ?? [];
  const aliases = status.aliases ?? {};
  const production = versions.find((v) => v.name === aliases.Production);
  const find = (type: string): Condition | undefined => status.conditions?.find((c) => c.type === type);
  const served = find('Served');
  const training = find('Training');
  let ready: ConditionInput;
  if (missing.length) {
    ready = {
      type: 'Ready',
      status: 'False',
      reason: 'PinnedVersionMissing',
      message: `spec.aliases pins versions that are not registered: ${missing.join(', ')}`,
    };
  } else if (!aliases.Production) {
    const failing = training?.reason === 'TrainingFailed';
    ready = {
      type: 'Ready',
      status: 'False',
      reason: failing ? 'TrainingFailed' : 'NoVersion',
      message: failing ? training!.message : `no version yet: ${training?.message ?? 'waiting for training'}`,
    };
  } else if (served?.status === 'True') {
    ready = { type: 'Ready', status: 'True', reason: 'Serving', message: served.message };
  } else {
    ready = {
      type: 'Ready',
      status: 'False',
      reason: served?.reason === 'GameServerUnreachable' ? 'GameServerUnreachable' : 'NotServed',
      message: served?.message ?? 'not served yet',
    };
  }
  return {
    latestVersion: versions.at(-1)?.name,
    accuracy: production?.metrics ? Math.round(production.metrics.accuracy * 10_000) / 10_000 : undefined,
    ready,
  };
}
