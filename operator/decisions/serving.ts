import { Type, type Static } from '@sinclair/typebox';
import { ALIASES, ModelReportSchema, type ServingManifest } from '../../core/index.ts';
import type { AliasMap, RpsModel, VersionRecord } from '../resources.ts';

/** The part of what the game server reports for one bot at GET /api/v1/models that the operator compares. */
export const ServedReportSchema = Type.Pick(ModelReportSchema, [
  'model',
  'manifest',
  'trafficSplit',
  'aliases',
  'lastError',
]);
export type ServedReport = Static<typeof ServedReportSchema>;

export function servingConfigMapName(model: RpsModel): string {
  return `${model.spec.serving.deploymentName}-models`;
}

export function servingKey(model: RpsModel): string {
  return `${model.metadata.name}.json`;
}

/** This model's entry of the serving manifest, or null while it has no Production version. */
export function buildManifest(
  model: RpsModel,
  aliases: AliasMap,
  versions: readonly VersionRecord[],
  trafficSplit: { Production: number; B: number },
): ServingManifest | null {
  if (!aliases.Production) return null;
  const byName = new Map(versions.map((v) => [v.name, v]));
  const targets: ServingManifest['aliases'] = {};
  for (const alias of ALIASES) {
    const v = aliases[alias] ? byName.get(aliases[alias]) : undefined;
    // a record without featureSet predates feature sets: its version reads rps-features/v1
    if (v) {
      targets[alias] = {
        version: v.name,
        uri: v.uri,
        sha256: v.sha256,
        featureSet: v.featureSet ?? 'rps-features/v1',
      };
    }
  }
  if (!targets.Production) return null;
  return {
    model: model.metadata.name,
    displayName: model.spec.displayName,
    algorithm: model.spec.algorithm,
    featureSet: model.spec.featureSet,
    trafficSplit: { Production: trafficSplit.Production, B: trafficSplit.B },
    aliases: targets,
  };
}

/** The ConfigMap value: stable JSON so that an unchanged manifest is byte-identical. */
export function manifestText(manifest: ServingManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Whether the game server serves exactly what the manifest says (every alias loaded with the same sha256). */
export function servedState(
  manifest: ServingManifest,
  report: ServedReport | undefined,
): { served: boolean; message: string } {
  if (!report) return { served: false, message: `the game server does not list model ${manifest.model} yet` };
  if (report.manifest !== 'present') {
    // with several replicas, the merged report's error names the replica that lags
    const err = report.lastError ? ` (${report.lastError})` : '';
    return {
      served: false,
      message: `the game server has not read the manifest of ${manifest.model} yet${err}`,
    };
  }
  const problems: string[] = [];
  if (
    Math.abs(report.trafficSplit.Production - manifest.trafficSplit.Production) > 1e-9 ||
    Math.abs(report.trafficSplit.B - manifest.trafficSplit.B) > 1e-9
  ) {
    problems.push(
      `traffic split ${report.trafficSplit.Production}/${report.trafficSplit.B}, manifest says ${manifest.trafficSplit.Production}/${manifest.trafficSplit.B}`,
    );
  }
  for (const alias of ALIASES) {
    const want = manifest.aliases[alias];
    const got = report.aliases[alias];
    if (!want && got) problems.push(`${alias}: serves ${got.version}, the manifest has none`);
    else if (want && !got) problems.push(`${alias}: serves nothing, manifest says ${want.version}`);
    else if (want && got) {
      if (got.version !== want.version || got.sha256 !== want.sha256) {
        problems.push(`${alias}: serves ${got.version}, manifest says ${want.version}`);
      } else if (!got.loaded) problems.push(`${alias}: ${want.version} is not loaded yet`);
    }
  }
  if (problems.length) {
    const err = report.lastError ? ` (last error: ${report.lastError})` : '';
    return { served: false, message: `${problems.join('; ')}${err}` };
  }
  const versions = ALIASES.filter((a) => manifest.aliases[a]).map(
    (a) => `${a}=${manifest.aliases[a]!.version}`,
  );
  return { served: true, message: `the game server serves ${versions.join(', ')}` };
}
