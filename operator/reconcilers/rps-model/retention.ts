import { protectedVersions } from '../../decisions/aliases.ts';
import { retainVersions, versionPrefix } from '../../decisions/versions.ts';
import type { ModelState, StepResult } from './state.ts';

/** How soon to try again to delete the artifacts of a removed version. */
const DELETE_RETRY_MS = 60_000;

/**
 * The retention step: versions beyond spec.retention.keepVersions go with their artifacts, except
 * those an alias or a pin points at. A version whose artifacts could not be deleted stays listed.
 */
export async function retention(state: ModelState): Promise<StepResult> {
  const { status, model } = state;
  const versions = status.versions ?? [];
  const { keepVersions } = model.spec.retention;
  const protectedNames = protectedVersions(status.aliases, model.spec.aliases);
  const { remove } = retainVersions(versions, keepVersions, protectedNames);
  if (!remove.length) return {};
  const removed: string[] = [];
  let result: StepResult = {};
  for (const v of remove) {
    try {
      const n = await state.ctx.store.deletePrefix(versionPrefix(state.name, v.name));
      removed.push(v.name);
      state.log.info({ version: v.name, objects: n }, 'version removed');
    } catch (err) {
      state.event(
        'Warning',
        'ArtifactDeleteFailed',
        'Retain',
        `could not delete the artifacts of ${v.name}: ${(err as Error).message}`,
      );
      result = { requeueAfterMs: DELETE_RETRY_MS };
    }
  }
  status.versions = versions.filter((v) => !removed.includes(v.name));
  if (removed.length) {
    state.event(
      'Normal',
      'VersionsRemoved',
      'Retain',
      `removed ${removed.join(', ')} with ${removed.length === 1 ? 'its' : 'their'} artifacts (keepVersions ${keepVersions}; versions an alias or pin points at are kept)`,
    );
  }
  return result;
}
