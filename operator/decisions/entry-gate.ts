import type { AliasMap, GateVerdict, VersionEvaluation, VersionRecord } from '../resources.ts';
import { accuracyText } from './accuracy-format.ts';

/** A PromotionPolicy's spec.entryGate: how far (accuracy points) below Production a new version may be and still become B. */
export interface EntryGate {
  maxAccuracyDeficit: number;
}

/**
 * The offline evaluation of a version, from its metadata.json (`evaluation`, written by the
 * trainer when the Job named a Production to compare with). Only the fields kept in status, and
 * nothing when the metadata has none or it is malformed.
 */
export function versionEvaluation(metadata: unknown): VersionEvaluation | undefined {
  const e = (metadata as { evaluation?: unknown } | null)?.evaluation as Record<string, unknown> | undefined;
  if (!e || typeof e !== 'object') return undefined;
  const score = (x: unknown): { version: string; accuracy: number; logLoss: number } | null => {
    const s = x as { version?: unknown; accuracy?: unknown; logLoss?: unknown } | null;
    if (!s || typeof s !== 'object') return null;
    if (typeof s.version !== 'string' || typeof s.accuracy !== 'number' || typeof s.logLoss !== 'number') {
      return null;
    }
    return { version: s.version, accuracy: s.accuracy, logLoss: s.logLoss };
  };
  const candidate = score(e.candidate);
  if (typeof e.rows !== 'number' || !candidate) return undefined;
  return {
    rows: e.rows,
    heldOut: typeof e.heldOut === 'string' ? e.heldOut : 'test',
    candidate,
    production: score(e.production),
    accuracyDelta: typeof e.accuracyDelta === 'number' ? e.accuracyDelta : null,
    ...(typeof e.error === 'string' && e.error ? { error: e.error.slice(0, 500) } : {}),
  };
}

/**
 * Whether a version may become B under the gate: its offline accuracy at least Production's minus
 * `maxAccuracyDeficit` points, both scored on the same held-out rounds. Without a comparison (the
 * first version, a trainer that could not score Production) the gate lets it through and says so.
 * Null when there is no gate.
 */
export function gateVerdict(
  evaluation: VersionEvaluation | undefined,
  gate: EntryGate | null | undefined,
  /** the Production now; a comparison with an earlier one says nothing about this one */
  production?: string,
): GateVerdict | null {
  if (!gate) return null;
  const max = gate.maxAccuracyDeficit;
  const compared = evaluation?.production?.version;
  if (compared && production && compared !== production) {
    return {
      passed: true,
      reason: 'NoComparison',
      message: `not compared: ${evaluation!.candidate.version} was scored against ${compared}, Production is now ${production}`,
      maxAccuracyDeficit: max,
    };
  }
  if (!evaluation?.production) {
    const why = evaluation?.error
      ? `Production could not be scored: ${evaluation.error}`
      : evaluation
        ? 'there was no Production to compare with'
        : 'the version has no offline evaluation';
    return { passed: true, reason: 'NoComparison', message: `not compared: ${why}`, maxAccuracyDeficit: max };
  }
  const c = evaluation.candidate;
  const p = evaluation.production;
  const deficit = (p.accuracy - c.accuracy) * 100;
  const facts = `${c.version} scored ${accuracyText(c.accuracy)}, Production ${p.version} ${accuracyText(p.accuracy)} on ${evaluation.rows} held-out rounds`;
  // within rounding of the limit passes
  if (deficit <= max + 1e-9) {
    return {
      passed: true,
      reason: 'GatePassed',
      message: `${facts}: within ${max} points`,
      maxAccuracyDeficit: max,
    };
  }
  return {
    passed: false,
    reason: 'GateBlocked',
    message: `${facts}: ${deficit.toFixed(1)} points lower, more than maxAccuracyDeficit ${max}; it stays a shadow`,
    maxAccuracyDeficit: max,
  };
}

/**
 * Which versions may be placed into B by entry or ranking: the versions that are Production or B
 * now, and those the gate lets through against the current Production.
 */
export function mayEnterB(
  versions: readonly VersionRecord[],
  gate: EntryGate | null | undefined,
  aliases: AliasMap,
): (version: string) => boolean {
  return (version) => {
    if (!gate || version === aliases.Production || version === aliases.B) return true;
    const record = versions.find((v) => v.name === version);
    return gateVerdict(record?.evaluation, gate, aliases.Production)?.passed ?? true;
  };
}
