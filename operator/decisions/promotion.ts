import { ALIASES, twoProportionZTest, type Alias, type VersionStats } from '../../core/index.ts';
import type {
  AliasMap,
  AliasReason,
  Arm,
  Decision,
  EntryAlias,
  Evaluation,
  EvaluationOutcome,
  PolicyMode,
  PromotionPolicy,
  PromotionPolicySpec,
  VersionRecord,
} from '../resources.ts';
import { aliasesEqual, normalizeAliases, rankChallengers, type AccuracyStats } from './aliases.ts';
import { mayEnterB, type EntryGate } from './entry-gate.ts';
import { parseDuration } from './schedule.ts';

export const EVALUATION_HISTORY_LIMIT = 10;

/** A policy's settings with every default filled (the API server fills them too; this also covers older objects). */
export interface PolicySettings {
  intervalMs: number;
  mode: PolicyMode;
  approve: readonly string[];
  method: 'twoProportionZ' | 'leadAfterGames';
  alpha: number;
  minGames: number;
  includeSyntheticPlayers: boolean;
  trafficSplit: { Production: number; B: number };
  minPredictions: number;
  newVersionAlias: EntryAlias;
  /** spec.entryGate, null when the policy has none */
  entryGate: EntryGate | null;
}

export const DEFAULT_TRAFFIC_SPLIT = { Production: 0.5, B: 0.5 } as const;
export const DEFAULT_ENTRY_ALIAS: EntryAlias = 'Shadow2';

export function policySettings(spec: PromotionPolicySpec): PolicySettings {
  const lead = spec.test?.leadAfterGames;
  const z = spec.test?.twoProportionZ;
  return {
    intervalMs: parseDuration(spec.interval ?? '5m'),
    mode: spec.mode ?? 'Automatic',
    approve: spec.approve ?? [],
    method: lead && !z ? 'leadAfterGames' : 'twoProportionZ',
    alpha: z?.alpha ?? 0.05,
    minGames: lead && !z ? (lead.games ?? 200) : (z?.minGames ?? 100),
    includeSyntheticPlayers: spec.includeSyntheticPlayers ?? false,
    trafficSplit: {
      Production: spec.trafficSplit?.Production ?? DEFAULT_TRAFFIC_SPLIT.Production,
      B: spec.trafficSplit?.B ?? DEFAULT_TRAFFIC_SPLIT.B,
    },
    minPredictions: spec.shadowRanking?.minPredictions ?? 200,
    newVersionAlias: spec.newVersionAlias ?? DEFAULT_ENTRY_ALIAS,
    entryGate: spec.entryGate ? { maxAccuracyDeficit: spec.entryGate.maxAccuracyDeficit } : null,
  };
}

/** Stable while the Production/B pair is unchanged, so that an approval names exactly one pair. */
export function evaluationId(model: string, aliases: AliasMap, since: string): string {
  const stamp = since
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')
    .toLowerCase();
  return `${model}-${aliases.Production ?? 'none'}-${aliases.B ?? 'none'}-${stamp}`;
}

function arm(version: string, stats: readonly VersionStats[]): Arm {
  const s = stats.find((v) => v.version === version);
  const games = s?.games ?? 0;
  const wins = s?.botWins ?? 0;
  return { version, games, wins, rate: games > 0 ? wins / games : 0 };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const describeArm = (name: string, a: Arm) =>
  `${name} ${a.version} won ${a.wins}/${a.games} (${pct(a.rate)})`;

export interface EvaluateInput {
  model: string;
  /** the model's aliases now (pins applied) */
  aliases: AliasMap;
  /** the model's pins (spec.aliases) */
  pins?: AliasMap;
  /** when the current Production/B pair was assigned */
  since: string;
  stats: readonly VersionStats[];
  settings: PolicySettings;
  now: string;
  /** the model's registered versions, whose offline evaluations the entry gate reads */
  versions?: readonly VersionRecord[];
}

/**
 * One evaluation: compare B with Production on game win rate since the pair was assigned, decide,
 * and compute the aliases the decision leads to (swap on Promote, then rank the challengers by
 * prediction accuracy). The outcome is settled by `evaluationOutcome`.
 */
export function evaluate(input: EvaluateInput): Evaluation {
  const { model, stats, settings, now, since } = input;
  const aliases = normalizeAliases(input.aliases);
  const base = {
    id: evaluationId(model, aliases, since),
    time: now,
    since,
    method: settings.method,
    mode: settings.mode,
    minGames: settings.minGames,
    ...(settings.method === 'twoProportionZ' ? { alpha: settings.alpha } : {}),
    aliases,
  };
  const accuracy = new Map<string, AccuracyStats>(
    stats.map((s) => [s.version, { predictions: s.predictions, correct: s.correct }]),
  );
  const pinned = new Set<Alias>(
    Object.keys(input.pins ?? {}).filter((k) => input.pins?.[k as Alias]) as Alias[],
  );
  const rank = (promote: boolean) =>
    rankChallengers({
      aliases,
      promote,
      accuracy,
      minPredictions: settings.minPredictions,
      pinned,
      mayEnterB: mayEnterB(input.versions ?? [], settings.entryGate, aliases),
    });

  const P = aliases.Production;
  const B = aliases.B;
  if (!P || !B || P === B) {
    const { target, ranking } = rank(false);
    const reason = !P
      ? 'there is no Production version yet'
      : `B serves the same version as Production (${P}): nothing to compare`;
    return { ...base, decision: 'NoChallenger', reason, outcome: 'Pending', target, ranking };
  }

  const production = arm(P, stats);
  const b = arm(B, stats);
  const evidence = `${describeArm('B', b)} vs ${describeArm('Production', production)} since ${since}`;
  let decision: Decision;
  let reason: string;
  let z: number | undefined;
  let pValue: number | undefined;
  if (settings.method === 'twoProportionZ') {
    const t = twoProportionZTest(production.wins, production.games, b.wins, b.games);
    z = t.z;
    pValue = t.pValue;
    const stat = `z=${t.z.toFixed(3)}, p=${t.pValue.toPrecision(3)}`;
    if (production.games < settings.minGames || b.games < settings.minGames) {
      decision = 'InsufficientData';
      reason = `${evidence}; each arm needs ${settings.minGames} finished games`;
    } else if (t.pValue < settings.alpha) {
      decision = 'Promote';
      reason = `${evidence}: ${stat} < alpha ${settings.alpha}`;
    } else {
      decision = 'Keep';
      reason = `${evidence}: ${stat} ≥ alpha ${settings.alpha}`;
    }
  } else if (production.games < settings.minGames || b.games < settings.minGames) {
    decision = 'InsufficientData';
    reason = `${evidence}; each arm needs ${settings.minGames} finished games`;
  } else if (b.rate > production.rate) {
    decision = 'Promote';
    reason = `${evidence}: B leads after ${settings.minGames} games`;
  } else {
    decision = 'Keep';
    reason = `${evidence}: B does not lead`;
  }
  if (decision === 'Promote' && (pinned.has('Production') || pinned.has('B'))) {
    decision = 'Keep';
    reason = `${reason}; not promoted because spec.aliases pins ${pinned.has('Production') ? 'Production' : 'B'}`;
  }
  const { target, ranking } = rank(decision === 'Promote');
  return {
    ...base,
    production,
    b,
    ...(z !== undefined ? { z } : {}),
    ...(pValue !== undefined ? { pValue } : {}),
    decision,
    reason,
    outcome: 'Pending',
    target,
    ranking,
  };
}

/**
 * What became of an evaluation, given the policy's mode and approvals and the model's aliases
 * now. `Pending` means the model reconciler should apply `target`: both reconcilers use this one
 * rule, so that a half-applied promotion converges after a crash.
 */
export function evaluationOutcome(
  ev: Pick<Evaluation, 'id' | 'decision' | 'aliases' | 'target'>,
  mode: PolicyMode,
  approve: readonly string[],
  current: AliasMap,
): EvaluationOutcome {
  if (mode === 'DryRun') return 'DryRun';
  if (aliasesEqual(ev.target, ev.aliases)) return 'NoChange';
  if (aliasesEqual(current, ev.target)) return 'Applied';
  if (!aliasesEqual(current, ev.aliases)) return 'Superseded';
  if (mode === 'Manual' && ev.aliases.Production !== ev.target.Production && !approve.includes(ev.id)) {
    return 'AwaitingApproval';
  }
  return 'Pending';
}

/** An evaluation of the governing policy that the model reconciler applies to the model's aliases. */
export interface PendingPromotion {
  policy: string;
  evaluation: Evaluation;
  target: AliasMap;
  /** Production changes; otherwise the challengers are only ranked anew */
  promoted: boolean;
  /** why each alias moves, for status.aliasHistory */
  reasonOf: (alias: Alias) => AliasReason;
}

/**
 * The governing policy's latest evaluation of the model when its outcome is `Pending` and every
 * version of its target is still registered; else undefined.
 */
export function pendingPromotion(
  policy: PromotionPolicy | undefined,
  model: string,
  aliases: AliasMap,
  registered: ReadonlySet<string>,
): PendingPromotion | undefined {
  const ev = policy?.status?.models?.find((m) => m.model === model)?.lastEvaluation;
  if (!policy || !ev) return undefined;
  const s = policySettings(policy.spec);
  if (evaluationOutcome(ev, s.mode, s.approve, aliases) !== 'Pending') return undefined;
  const target = normalizeAliases(ev.target);
  if (!ALIASES.every((a) => !target[a] || registered.has(target[a]))) return undefined;
  const promoted = target.Production !== aliases.Production;
  return {
    policy: policy.metadata.name,
    evaluation: ev,
    target,
    promoted,
    reasonOf: (alias) =>
      alias === 'Production' ? 'Promoted' : promoted && alias === 'B' ? 'Demoted' : 'Ranked',
  };
}

/** The PromotionApplied Event note: who promoted what and why, then the alias changes it made. */
export function promotionAppliedNote(p: PendingPromotion, changes: string): string {
  return `${p.target.Production} promoted to Production by PromotionPolicy ${p.policy} (evaluation ${p.evaluation.id}): ${p.evaluation.reason}; ${changes}`;
}

const pair = (a: AliasMap) => `${a.Production ?? ''}/${a.B ?? ''}`;

/**
 * Whether the model's Production/B pair moved since the last evaluation other than by applying
 * it (a first version registered, a new B, a pin): the evidence is then about a pair that no longer
 * plays, so the policy evaluates again at once rather than at its next interval.
 */
export function evaluationStale(last: Evaluation | undefined, current: AliasMap): boolean {
  if (!last) return false;
  const now = pair(normalizeAliases(current));
  return now !== pair(normalizeAliases(last.aliases)) && now !== pair(normalizeAliases(last.target));
}

/** Whether an evaluation says something new (an Event is worth it): another decision, outcome or pair. */
export function evaluationNews(previous: Evaluation | undefined, next: Evaluation): boolean {
  return (
    !previous ||
    previous.id !== next.id ||
    previous.decision !== next.decision ||
    previous.outcome !== next.outcome
  );
}

const SUMMARY_LENGTH = 120;

/** `LAST DECISION`: every evaluated model's latest decision, by name, shortened to fit a column. */
export function decisionSummary(models: readonly { model: string; lastEvaluation?: Evaluation }[]): string {
  const parts = models
    .filter((m) => m.lastEvaluation)
    .map((m) => `${m.model}=${m.lastEvaluation!.decision}`)
    .sort();
  let text = '';
  for (const [i, p] of parts.entries()) {
    const next = text ? `${text}, ${p}` : p;
    const rest = parts.length - i - 1;
    if (next.length + (rest ? ` (+${rest} more)`.length : 0) > SUMMARY_LENGTH) {
      return `${text} (+${parts.length - i} more)`;
    }
    text = next;
  }
  return text;
}
