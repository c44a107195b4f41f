import type { VersionRecord } from '../resources.ts';

const VERSION = /^v([1-9][0-9]*)$/;

/** The number of `vN`, or null for anything else. */
export function versionNumber(name: string | undefined): number | null {
  const m = VERSION.exec(name ?? '');
  return m ? Number(m[1]) : null;
}

export function versionName(n: number): string {
  return `v${n}`;
}

/** The next version after every one seen anywhere (registered, being trained, named by a Job), so versions only grow. */
export function nextVersion(seen: Iterable<string | undefined>): string {
  let max = 0;
  for (const name of seen) max = Math.max(max, versionNumber(name) ?? 0);
  return versionName(max + 1);
}

export function compareVersions(a: string, b: string): number {
  return (versionNumber(a) ?? 0) - (versionNumber(b) ?? 0);
}

/** Appends a registered version (once: registering the same name again replaces nothing). */
export function addVersion(
  versions: readonly VersionRecord[] | undefined,
  record: VersionRecord,
): VersionRecord[] {
  const list = [...(versions ?? [])];
  if (list.some((v) => v.name === record.name)) return list;
  list.push(record);
  return list.sort((a, b) => compareVersions(a.name, b.name));
}

/**
 * Retention: keep the newest `keepVersions` versions plus every protected one (an alias or pin
 * points at it); the rest are removed, oldest first.
 */
export function retainVersions(
  versions: readonly VersionRecord[],
  keepVersions: number,
  protectedNames: ReadonlySet<string>,
): { keep: VersionRecord[]; remove: VersionRecord[] } {
  const sorted = [...versions].sort((a, b) => compareVersions(a.name, b.name));
  const newest = new Set(sorted.slice(Math.max(0, sorted.length - keepVersions)).map((v) => v.name));
  const keep: VersionRecord[] = [];
  const remove: VersionRecord[] = [];
  for (const v of sorted) (newest.has(v.name) || protectedNames.has(v.name) ? keep : remove).push(v);
  return { keep, remove };
}

/** `<model>/<version>/`: the folder of a version's artifacts. */
export function versionPrefix(model: string, version: string): string {
  return `${model}/${version}/`;
}
