import { ALIASES } from '../../../core/index.ts';
import { sha256Hex } from '../../../lib/artifact-store.ts';
import {
  buildManifest,
  manifestText,
  servedState,
  servingConfigMapName,
  servingKey,
} from '../../decisions/serving.ts';
import { apiMessage } from '../../kube.ts';
import { applyServingKey } from './api.ts';
import { Deferred, type ModelState, type StepResult } from './state.ts';

/** How often to look again while the game server has not loaded what was written. */
const SERVED_POLL_MS = 2000;
const UNREACHABLE_POLL_MS = 10_000;

/**
 * The serving step: writes the model's key of the serving ConfigMap when it differs, then asks
 * the game server what it serves (the Served condition).
 */
export async function serving(state: ModelState): Promise<StepResult> {
  const { ctx, status, model } = state;
  const cmName = servingConfigMapName(model);
  const key = servingKey(model);
  const manifest = buildManifest(
    model,
    status.aliases ?? {},
    status.versions ?? [],
    state.settings.trafficSplit,
  );
  if (!manifest) {
    state.condition({
      type: 'Served',
      status: 'False',
      reason: 'NoVersion',
      message: 'no version to serve yet',
    });
    return {};
  }
  const text = manifestText(manifest);
  const sha = sha256Hex(text);
  if (ctx.configMaps.get(state.namespace, cmName)?.data?.[key] !== text) {
    try {
      await applyServingKey(ctx, model, text);
    } catch (err) {
      const message = `could not apply key ${key} of ConfigMap ${cmName}: ${apiMessage(err)}`;
      state.condition({ type: 'Served', status: 'False', reason: 'ManifestApplyFailed', message });
      return { error: new Deferred(message) };
    }
    if (status.serving?.manifestSha256 !== sha) {
      const versions = ALIASES.filter((a) => manifest.aliases[a]).map(
        (a) => `${a}=${manifest.aliases[a]!.version}`,
      );
      state.event(
        'Normal',
        'ManifestApplied',
        'Serve',
        `wrote ${key} of ConfigMap ${cmName}: ${versions.join(', ')}`,
      );
    }
  }
  if (status.serving?.manifestSha256 !== sha) {
    status.serving = {
      ...status.serving,
      configMap: cmName,
      key,
      manifestSha256: sha,
      appliedAt: state.nowIso,
    };
  }
  let reports;
  try {
    reports = await ctx.game(state.namespace).models();
  } catch (err) {
    state.condition({
      type: 'Served',
      status: 'Unknown',
      reason: 'GameServerUnreachable',
      message: (err as Error).message,
    });
    return { requeueAfterMs: UNREACHABLE_POLL_MS };
  }
  const served = servedState(
    manifest,
    reports.find((r) => r.model === state.name),
  );
  if (served.served) {
    state.condition({ type: 'Served', status: 'True', reason: 'Served', message: served.message });
    return {};
  }
  state.condition({ type: 'Served', status: 'False', reason: 'ServingPending', message: served.message });
  return { requeueAfterMs: SERVED_POLL_MS };
}
