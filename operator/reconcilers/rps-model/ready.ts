import { missingPins, readySummary } from '../../decisions/ready.ts';
import type { ModelState, StepResult } from './state.ts';

/**
 * The summary step: latestVersion, accuracy and the Ready condition, from the conditions and
 * fields the other steps set. A pin naming a missing version is also a Warning Event, once.
 */
export async function ready(state: ModelState): Promise<StepResult> {
  const { status } = state;
  const missing = missingPins(state.model.spec.aliases, status);
  const summary = readySummary(status, missing);
  if (summary.latestVersion) status.latestVersion = summary.latestVersion;
  if (summary.accuracy !== undefined) status.accuracy = summary.accuracy;
  else delete status.accuracy;
  state.condition(summary.ready);
  if (
    summary.ready.reason === 'PinnedVersionMissing' &&
    !state.model.status?.conditions?.some((c) => c.reason === 'PinnedVersionMissing')
  ) {
    state.event('Warning', 'PinnedVersionMissing', 'UpdateAliases', summary.ready.message);
  }
  return {};
}
