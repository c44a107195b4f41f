import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import type { RpsModelSpec, StoredRpsModelSpec } from '../../operator/resources.ts';

// The API server fills the defaults of a custom resource's structural schema; objects made in
// unit tests get them from the same schema (crds/rpsmodels.yaml), not from a copy.

interface Schema {
  type?: string;
  default?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const crd = parseYaml(readFileSync(path.join(repo, 'crds', 'rpsmodels.yaml'), 'utf8')) as {
  spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
};
const specSchema = crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;

/** Defaulting as the API server does it: a missing field with a default gets it, then its own fields theirs. */
function applyDefaults(value: unknown, schema: Schema): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((v) => applyDefaults(v, schema.items!)) : value;
  if (!value || typeof value !== 'object' || !schema.properties) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, child] of Object.entries(schema.properties)) {
    if (out[key] === undefined && child.default !== undefined) out[key] = structuredClone(child.default);
    if (out[key] !== undefined) out[key] = applyDefaults(out[key], child);
  }
  return out;
}

/** An RpsModel spec as the API server stores it: the CRD's defaults filled. */
export function storedSpec(spec: RpsModelSpec): StoredRpsModelSpec {
  return applyDefaults(spec, specSchema) as StoredRpsModelSpec;
}
