import {
  ArtifactMetadataSchema,
  DEFAULT_FEATURE_SET,
  validate,
  type Algorithm,
  type ArtifactMetadata,
} from '../core/index.ts';
import { artifactUri, sha256Hex, type ArtifactStore } from '../lib/artifact-store.ts';
import { versionPrefix } from './decisions/versions.ts';

/** A trained version's metadata checked against its model.onnx, or why it cannot be registered. */
export type VersionArtifacts =
  { ok: true; metadata: ArtifactMetadata; uri: string } | { ok: false; error: string; missing: boolean };

/** The model a version must belong to: its name and algorithm. */
export interface ArtifactOwner {
  metadata: { name: string };
  spec: { algorithm: Algorithm; featureSet?: string };
}

/**
 * Reads `<model>/<version>/metadata.json`, validates it against the artifact schema, checks that
 * it describes this model, version, algorithm and feature set, and that model.onnx has the sha256
 * it names. A store that cannot be reached throws (the caller retries); anything else wrong with
 * the objects is returned with a message naming the object and the mismatch.
 */
export async function readVersionArtifacts(
  store: Pick<ArtifactStore, 'get' | 'bucket'>,
  model: ArtifactOwner,
  version: string,
): Promise<VersionArtifacts> {
  const prefix = versionPrefix(model.metadata.name, version);
  const refused = (error: string): VersionArtifacts => ({ ok: false, missing: false, error });
  const raw = await store.get(`${prefix}metadata.json`);
  if (!raw)
    return { ok: false, missing: true, error: `${prefix}metadata.json is not in bucket ${store.bucket}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return refused(`${prefix}metadata.json is not JSON: ${(err as Error).message}`);
  }
  const checked = validate<ArtifactMetadata>(ArtifactMetadataSchema, parsed);
  if (!checked.ok) return refused(`${prefix}metadata.json is invalid: ${checked.errors.join('; ')}`);
  const md = checked.value;
  if (md.model !== model.metadata.name || md.version !== version || md.algorithm !== model.spec.algorithm) {
    return refused(
      `${prefix}metadata.json describes ${md.model} ${md.version} (${md.algorithm}), expected ${model.metadata.name} ${version} (${model.spec.algorithm})`,
    );
  }
  const requested = model.spec.featureSet ?? DEFAULT_FEATURE_SET;
  if (md.featureSet !== requested) {
    return refused(
      `${prefix}metadata.json reads feature set ${md.featureSet}, but the model asked for ${requested} (spec.featureSet)`,
    );
  }
  const onnx = await store.get(`${prefix}model.onnx`);
  if (!onnx) return refused(`${prefix}model.onnx is not in bucket ${store.bucket}`);
  const sha = sha256Hex(onnx);
  if (sha !== md.artifact.sha256) {
    return refused(`${prefix}model.onnx has sha256 ${sha}, metadata.json says ${md.artifact.sha256}`);
  }
  return { ok: true, metadata: md, uri: artifactUri(store.bucket, `${prefix}model.onnx`) };
}
