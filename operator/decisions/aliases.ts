import { ALIASES, type Alias } from '../../core/index.ts';
import type { AliasHistoryEntry, AliasMap, AliasReason, EntryAlias, RankingEntry } from '../resources.ts';

export const ALIAS_HISTORY_LIMIT = 50;

/** The aliases after B, in the order a challenger is chosen from. */
const CHALLENGER_SLOTS: readonly Alias[] = ['B', 'Shadow1', 'Shadow2'];

export function aliasesEqual(a: AliasMap | undefined, b: AliasMap | undefined): boolean {
  return ALIASES.every((alias) => (a?.[alias] ?? '') === (b?.[alias] ?? ''));
}

/** Only the aliases that are set, in ALIASES order (stable for comparison and storage). */
export function normalizeAliases(aliases: AliasMap | undefined): AliasMap {
  const out: AliasMap = {};
  for (const alias of ALIASES) {
    const v = aliases?.[alias];
    if (v) out[alias] = v;
  }
  return out;
}

/**
 * Where a newly registered version goes. The first version fills every alias. Later ones enter
 * at `entry`; but while an alias is empty or repeats the version of an alias before it (fewer
 * than four distinct versions yet), the new version fills that alias instead of replacing a
 * distinct one: the entry alias when it is such a slot, else the last such slot. A version the
 * entry gate keeps out of B (`mayEnterB` false) enters the shadows only (Shadow2 for entry B).
 */
export function enterNewVersion(
  aliases: AliasMap,
  version: string,
  entry: EntryAlias,
  options: { mayEnterB?: boolean } = {},
): AliasMap {
  const next = normalizeAliases(aliases);
  const empty = ALIASES.filter((a) => !next[a]);
  if (empty.length) {
    for (const a of empty) next[a] = version;
    return next;
  }
  const allowed = options.mayEnterB === false ? CHALLENGER_SLOTS.filter((s) => s !== 'B') : CHALLENGER_SLOTS;
  const target: EntryAlias = allowed.includes(entry) ? entry : 'Shadow2';
  const repeated = allowed.filter((slot) => {
    const before = ALIASES.slice(0, ALIASES.indexOf(slot));
    return before.some((a) => next[a] === next[slot]);
  });
  const slot = repeated.length === 0 || repeated.includes(target) ? target : repeated[repeated.length - 1]!;
  next[slot] = version;
  return next;
}

/** Pins (spec.aliases) win over everything; a pin naming a version that is not registered is reported, not applied. */
export function applyPins(
  aliases: AliasMap,
  pins: AliasMap | undefined,
  registered: ReadonlySet<string>,
): { aliases: AliasMap; missing: { alias: Alias; version: string }[] } {
  const next = normalizeAliases(aliases);
  const missing: { alias: Alias; version: string }[] = [];
  for (const alias of ALIASES) {
    const pin = pins?.[alias];
    if (!pin) continue;
    if (registered.has(pin)) next[alias] = pin;
    else missing.push({ alias, version: pin });
  }
  return { aliases: next, missing };
}

export interface AccuracyStats {
  predictions: number;
  correct: number;
}

/**
 * The aliases after an evaluation. On a promotion B's version becomes Production and the old
 * Production joins the candidates; then the candidates (the versions of the unpinned challenger
 * aliases, without Production's version) fill B, Shadow1, Shadow2 in order: first those with at
 * least `minPredictions` predictions by accuracy (ties keep the current order), then the rest in
 * their current order. B takes the first candidate `mayEnterB` admits (the entry gate); the
 * others keep the order in the shadows. Aliases left over repeat Production's version. Pinned
 * aliases keep their version and are not ranked.
 */
export function rankChallengers(options: {
  aliases: AliasMap;
  promote: boolean;
  accuracy: ReadonlyMap<string, AccuracyStats>;
  minPredictions: number;
  pinned?: ReadonlySet<Alias>;
  mayEnterB?: (version: string) => boolean;
}): { target: AliasMap; ranking: RankingEntry[] } {
  const { aliases, promote, accuracy, minPredictions } = options;
  const admits = options.mayEnterB ?? (() => true);
  const pinned = options.pinned ?? new Set<Alias>();
  const production = promote ? aliases.B : aliases.Production;
  const target: AliasMap = normalizeAliases(aliases);
  if (!production) return { target, ranking: [] };
  target.Production = production;

  const slots = CHALLENGER_SLOTS.filter((a) => !pinned.has(a));
  const pool: string[] = [];
  const consider = (v: string | undefined) => {
    if (v && v !== production && !pool.includes(v)) pool.push(v);
  };
  if (promote) consider(aliases.Production);
  for (const slot of CHALLENGER_SLOTS)
    if (!pinned.has(slot) && !(promote && slot === 'B')) consider(aliases[slot]);

  const ranking: RankingEntry[] = pool.map((version) => {
    const s = accuracy.get(version) ?? { predictions: 0, correct: 0 };
    return {
      version,
      predictions: s.predictions,
      correct: s.correct,
      accuracy: s.predictions > 0 ? s.correct / s.predictions : 0,
      ranked: s.predictions >= minPredictions && s.predictions > 0,
    };
  });
  const ranked = ranking.filter((r) => r.ranked).sort((a, b) => b.accuracy - a.accuracy);
  const ordered = [...ranked, ...ranking.filter((r) => !r.ranked)];
  const bChoice = slots.includes('B') ? ordered.find((r) => admits(r.version)) : undefined;
  for (const r of ordered) if (slots.includes('B') && !admits(r.version)) r.gate = 'GateBlocked';
  const rest = ordered.filter((r) => r !== bChoice).map((r) => r.version);
  for (const slot of slots) {
    target[slot] = slot === 'B' ? (bChoice?.version ?? production) : (rest.shift() ?? production);
  }
  return { target, ranking: ordered };
}

/**
 * The alias changes from `from` to `to` as history entries: one per change, so aliases that move
 * from the same version to the same one for the same reason share an entry (`alias` lists them,
 * "Production, B, Shadow1, Shadow2" for a first version) and no two entries of a call look alike.
 */
export function aliasChanges(
  from: AliasMap,
  to: AliasMap,
  reasonOf: (alias: Alias, from: string | undefined, to: string) => AliasReason,
  reasonText: Readonly<Record<AliasReason, string>>,
  time: string,
): AliasHistoryEntry[] {
  const out: (Omit<AliasHistoryEntry, 'alias' | 'message'> & { aliases: Alias[] })[] = [];
  for (const alias of ALIASES) {
    const next = to[alias];
    const prev = from[alias];
    if (!next || next === prev) continue;
    const reason = reasonOf(alias, prev, next);
    const same = out.find((e) => e.from === prev && e.to === next && e.reason === reason);
    if (same) same.aliases.push(alias);
    else out.push({ time, aliases: [alias], ...(prev ? { from: prev } : {}), to: next, reason });
  }
  return out.map(({ aliases, ...e }) => ({
    time: e.time,
    alias: aliases.join(', '),
    ...(e.from ? { from: e.from } : {}),
    to: e.to,
    reason: e.reason,
    message: `${aliases.join(', ')}: ${e.from ?? 'none'} → ${e.to} (${reasonText[e.reason]})`,
  }));
}

const REASON_TEXT: Record<AliasReason, string> = {
  FirstVersion: 'the first version serves every alias',
  NewVersion: 'a new version enters',
  Pinned: 'pinned by spec.aliases',
  Promoted: 'promoted',
  Demoted: 'demoted',
  Ranked: 'ranked by prediction accuracy',
};

/** One change of the aliases as status.aliasHistory and an Event record it. */
export interface AliasChangeRecord {
  entries: AliasHistoryEntry[];
  /** Promoted, AliasPinned, AliasesRanked or AliasesChanged: the weightiest reason among the entries */
  eventReason: string;
  /** the entries grouped by target version and reason: `B, Shadow1: v1 → v2 (a new version enters)` */
  note: string;
}

/** The history entries and Event text of moving the aliases from `from` to `to`; undefined when nothing moves. */
export function aliasChangeRecord(
  from: AliasMap,
  to: AliasMap,
  reasonOf: (alias: Alias, from: string | undefined, to: string) => AliasReason,
  time: string,
): AliasChangeRecord | undefined {
  const entries = aliasChanges(from, to, reasonOf, REASON_TEXT, time);
  if (!entries.length) return undefined;
  const reasons = new Set(entries.map((e) => e.reason));
  const eventReason = reasons.has('Promoted')
    ? 'Promoted'
    : reasons.has('Pinned')
      ? 'AliasPinned'
      : reasons.has('Ranked')
        ? 'AliasesRanked'
        : 'AliasesChanged';
  const groups = new Map<string, AliasHistoryEntry[]>();
  for (const e of entries)
    groups.set(`${e.to}|${e.reason}`, [...(groups.get(`${e.to}|${e.reason}`) ?? []), e]);
  const note = [...groups.values()]
    .map((g) => {
      const prev = [...new Set(g.map((e) => e.from ?? 'none'))].join('/');
      return `${g.map((e) => e.alias).join(', ')}: ${prev} → ${g[0]!.to} (${REASON_TEXT[g[0]!.reason]})`;
    })
    .join('; ');
  return { entries, eventReason, note };
}

/** Appends to the history, keeping the newest `limit` entries. */
export function appendHistory<T>(
  history: readonly T[] | undefined,
  entries: readonly T[],
  limit: number,
): T[] {
  return [...(history ?? []), ...entries].slice(-limit);
}

/** The versions aliases or pins point at: retention never removes them. */
export function protectedVersions(aliases: AliasMap | undefined, pins: AliasMap | undefined): Set<string> {
  const out = new Set<string>();
  for (const alias of ALIASES) {
    const a = aliases?.[alias];
    const p = pins?.[alias];
    if (a) out.add(a);
    if (p) out.add(p);
  }
  return out;
}
