import { ALIASES, type Alias } from '../../../core/index.ts';
import {
  ALIAS_HISTORY_LIMIT,
  aliasChangeRecord,
  appendHistory,
  applyPins,
  normalizeAliases,
} from '../../decisions/aliases.ts';
import { pendingPromotion, promotionAppliedNote } from '../../decisions/promotion.ts';
import type { AliasMap, AliasReason } from '../../resources.ts';
import type { ModelState, StepResult } from './state.ts';

/**
 * Records the move of the aliases in status.aliasHistory and returns the Event note; `emit`
 * records the Event too (a promotion records one PromotionApplied Event of its own instead).
 */
export function recordAliasChanges(
  state: ModelState,
  from: AliasMap,
  to: AliasMap,
  reasonOf: (alias: Alias, from: string | undefined, to: string) => AliasReason,
  emit = true,
): string {
  const record = aliasChangeRecord(from, to, reasonOf, state.nowIso);
  if (!record) return '';
  state.status.aliasHistory = appendHistory(state.status.aliasHistory, record.entries, ALIAS_HISTORY_LIMIT);
  if (emit) state.event('Normal', record.eventReason, 'UpdateAliases', record.note);
  return record.note;
}

/**
 * The aliases step: applies a pending evaluation of the governing policy, then the pins of
 * spec.aliases (pins win), and starts a new challenge when Production or B changed.
 */
export async function aliases(state: ModelState): Promise<StepResult> {
  const { status } = state;
  const registered = new Set((status.versions ?? []).map((v) => v.name));
  let aliases = normalizeAliases(status.aliases);
  // drop aliases whose version is gone (only possible when status was edited by hand)
  for (const a of ALIASES) if (aliases[a] && !registered.has(aliases[a])) delete aliases[a];

  const promotion = pendingPromotion(state.policy, state.name, aliases, registered);
  if (promotion) {
    const changes = recordAliasChanges(
      state,
      aliases,
      promotion.target,
      promotion.reasonOf,
      !promotion.promoted,
    );
    if (promotion.promoted) {
      state.event('Normal', 'PromotionApplied', 'Promote', promotionAppliedNote(promotion, changes));
    }
    aliases = promotion.target;
    status.promotion = { lastAppliedEvaluation: promotion.evaluation.id, lastAppliedTime: state.nowIso };
  }

  const pinned = applyPins(aliases, state.model.spec.aliases, registered);
  recordAliasChanges(state, aliases, pinned.aliases, () => 'Pinned');
  aliases = pinned.aliases;
  status.aliases = aliases;

  const c = status.challenge;
  if (aliases.Production && (c?.production !== aliases.Production || c?.b !== aliases.B)) {
    status.challenge = {
      production: aliases.Production,
      ...(aliases.B ? { b: aliases.B } : {}),
      since: state.nowIso,
    };
  }
  return {};
}
