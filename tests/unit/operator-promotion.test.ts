import { describe, expect, it } from 'vitest';
import type { VersionStats } from '../../core/index.ts';
import {
  decisionSummary,
  evaluationNews,
  evaluationStale,
  evaluate,
  evaluationId,
  evaluationOutcome,
  policySettings,
} from '../../operator/decisions/promotion.ts';
import { evaluateNowRequest } from '../../operator/decisions/evaluate-now.ts';
import { governingPolicy, matchesSelector } from '../../operator/decisions/selection.ts';
import type { Evaluation, PromotionPolicy, RpsModel } from '../../operator/resources.ts';

const since = '2025-03-01T10:00:00.000Z';
const now = '2025-03-01T12:00:00.000Z';
const stat = (
  version: string,
  games: number,
  botWins: number,
  predictions = 0,
  correct = 0,
): VersionStats => ({
  model: 'brian',
  version,
  games,
  botWins,
  botLosses: games - botWins,
  ties: 0,
  predictions,
  correct,
});
const settings = policySettings({
  test: { twoProportionZ: { alpha: 0.05, minGames: 100 } },
  shadowRanking: { minPredictions: 50 },
});
const aliases = { Production: 'v1', B: 'v2', Shadow1: 'v3', Shadow2: 'v3' };

describe('promotion evaluation', () => {
  it('promotes B when the one-sided z-test is significant, with the evidence recorded', () => {
    const ev = evaluate({
      model: 'brian',
      aliases,
      since,
      now,
      settings,
      stats: [stat('v1', 100, 50, 900, 300), stat('v2', 100, 65, 900, 330), stat('v3', 0, 0, 900, 400)],
    });
    expect(ev.decision).toBe('Promote');
    expect(ev.production).toEqual({ version: 'v1', games: 100, wins: 50, rate: 0.5 });
    expect(ev.b).toEqual({ version: 'v2', games: 100, wins: 65, rate: 0.65 });
    expect(ev.z).toBeCloseTo(2.14559561956, 8);
    expect(ev.pValue).toBeLessThan(0.05);
    expect(ev.reason).toContain('p=0.0160 < alpha 0.05');
    // swap, then the old Production competes with the shadow: v3 predicts better
    expect(ev.target).toEqual({ Production: 'v2', B: 'v3', Shadow1: 'v1', Shadow2: 'v2' });
    expect(ev.id).toBe(evaluationId('brian', aliases, since));
    expect(ev.id).toBe('brian-v1-v2-20250301t100000z');
  });

  it('keeps Production when the difference is not significant', () => {
    const ev = evaluate({
      model: 'brian',
      aliases,
      since,
      now,
      settings,
      stats: [stat('v1', 100, 45), stat('v2', 100, 55)],
    });
    expect(ev.decision).toBe('Keep');
    expect(ev.pValue).toBeCloseTo(0.0786496, 5);
    expect(ev.target.Production).toBe('v1');
  });

  it('waits for minGames in both arms', () => {
    const ev = evaluate({
      model: 'brian',
      aliases,
      since,
      now,
      settings,
      stats: [stat('v1', 99, 10), stat('v2', 300, 290)],
    });
    expect(ev.decision).toBe('InsufficientData');
    expect(ev.reason).toContain('each arm needs 100 finished games');
  });

  it('has no challenger while B repeats Production, but ranks a shadow into B', () => {
    const ev = evaluate({
      model: 'brian',
      aliases: { Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v2' },
      since,
      now,
      settings,
      stats: [],
    });
    expect(ev.decision).toBe('NoChallenger');
    expect(ev.target).toEqual({ Production: 'v1', B: 'v2', Shadow1: 'v1', Shadow2: 'v1' });
  });

  it('the simple rule promotes B once it leads after N games', () => {
    const lead = policySettings({ test: { leadAfterGames: { games: 30 } } });
    expect(lead.method).toBe('leadAfterGames');
    const early = evaluate({
      model: 'brian',
      aliases,
      since,
      now,
      settings: lead,
      stats: [stat('v1', 29, 5), stat('v2', 40, 30)],
    });
    expect(early.decision).toBe('InsufficientData');
    const ahead = evaluate({
      model: 'brian',
      aliases,
      since,
      now,
      settings: lead,
      stats: [stat('v1', 30, 15), stat('v2', 30, 16)],
    });
    expect(ahead.decision).toBe('Promote');
    expect(ahead.pValue).toBeUndefined();
    const behind = evaluate({
      model: 'brian',
      aliases,
      since,
      now,
      settings: lead,
      stats: [stat('v1', 30, 15), stat('v2', 30, 15)],
    });
    expect(behind.decision).toBe('Keep');
  });

  it('does not promote over a pin', () => {
    const ev = evaluate({
      model: 'brian',
      aliases,
      pins: { Production: 'v1' },
      since,
      now,
      settings,
      stats: [stat('v1', 100, 50), stat('v2', 100, 65)],
    });
    expect(ev.decision).toBe('Keep');
    expect(ev.reason).toContain('pins Production');
    expect(ev.target.Production).toBe('v1');
  });
});

describe('evaluation outcome', () => {
  const ev = {
    id: 'brian-v1-v2-x',
    decision: 'Promote' as const,
    aliases,
    target: { ...aliases, Production: 'v2', B: 'v1' },
  };

  it('DryRun records without applying; Automatic is pending until the model shows the target', () => {
    expect(evaluationOutcome(ev, 'DryRun', [], aliases)).toBe('DryRun');
    expect(evaluationOutcome(ev, 'Automatic', [], aliases)).toBe('Pending');
    expect(evaluationOutcome(ev, 'Automatic', [], ev.target)).toBe('Applied');
    expect(evaluationOutcome(ev, 'Automatic', [], { ...aliases, Shadow2: 'v9' })).toBe('Superseded');
  });

  it('Manual waits for the evaluation id in approve', () => {
    expect(evaluationOutcome(ev, 'Manual', [], aliases)).toBe('AwaitingApproval');
    expect(evaluationOutcome(ev, 'Manual', ['brian-v1-v2-x'], aliases)).toBe('Pending');
    // a ranking change without a promotion needs no approval
    const rank = { ...ev, decision: 'Keep' as const, target: { ...aliases, Shadow1: 'v4' } };
    expect(evaluationOutcome(rank, 'Manual', [], aliases)).toBe('Pending');
  });

  it('nothing to apply when the target is the current aliases', () => {
    expect(evaluationOutcome({ ...ev, target: aliases }, 'Automatic', [], aliases)).toBe('NoChange');
  });
});

describe('policy settings and selection', () => {
  it('fills the defaults', () => {
    expect(policySettings({})).toMatchObject({
      intervalMs: 300_000,
      mode: 'Automatic',
      method: 'twoProportionZ',
      alpha: 0.05,
      minGames: 100,
      includeSyntheticPlayers: false,
      trafficSplit: { Production: 0.5, B: 0.5 },
      minPredictions: 200,
      newVersionAlias: 'Shadow2',
    });
  });

  it('matches label selectors', () => {
    const labels = { team: 'bots', tier: 'gold' };
    expect(matchesSelector({ matchLabels: { team: 'bots' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { team: 'x' } }, labels)).toBe(false);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] }, labels),
    ).toBe(true);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['gold'] }] }, labels),
    ).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
    expect(matchesSelector({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, labels)).toBe(false);
  });

  it('the oldest non-DryRun policy governs a model; others selecting it conflict', () => {
    const model = {
      metadata: { name: 'brian', namespace: 'ns', labels: { bot: 'yes' } },
    } as unknown as RpsModel;
    const policy = (name: string, created: string, spec: PromotionPolicy['spec']) =>
      ({
        metadata: { name, namespace: 'ns', creationTimestamp: created, uid: name },
        spec,
      }) as unknown as PromotionPolicy;
    const older = policy('older', '2025-01-01T00:00:00Z', { models: ['brian'] });
    const newer = policy('newer', '2025-02-01T00:00:00Z', { selector: { matchLabels: { bot: 'yes' } } });
    const dry = policy('dry', '2024-01-01T00:00:00Z', { models: ['brian'], mode: 'DryRun' });
    const r = governingPolicy(model, [newer, dry, older]);
    expect(r.policy?.metadata.name).toBe('older');
    expect(r.conflicting.map((p) => p.metadata.name)).toEqual(['newer']);
  });
});

describe('what a policy shows and when it evaluates again', () => {
  const ev = (over: Partial<Evaluation> = {}): Evaluation => ({
    id: 'brian-v1-v2-x',
    time: now,
    since,
    method: 'twoProportionZ',
    mode: 'Automatic',
    minGames: 100,
    decision: 'Keep',
    reason: 'r',
    outcome: 'NoChange',
    aliases: { Production: 'v1', B: 'v2' },
    target: { Production: 'v1', B: 'v2' },
    ranking: [],
    ...over,
  });

  it('evaluates again when the pair moved other than by applying the evaluation', () => {
    expect(evaluationStale(undefined, { Production: 'v1' })).toBe(false);
    expect(evaluationStale(ev(), { Production: 'v1', B: 'v2', Shadow1: 'v3' })).toBe(false);
    expect(evaluationStale(ev(), { Production: 'v1', B: 'v3' })).toBe(true);
    // the first version registered after "there is no Production version yet"
    expect(evaluationStale(ev({ aliases: {}, target: {} }), { Production: 'v1', B: 'v1' })).toBe(true);
    // the promotion it decided was applied: nothing new to evaluate
    const promote = ev({ decision: 'Promote', target: { Production: 'v2', B: 'v1' } });
    expect(evaluationStale(promote, { Production: 'v2', B: 'v1' })).toBe(false);
  });

  it('records an Event only for another decision, outcome or pair', () => {
    expect(evaluationNews(undefined, ev())).toBe(true);
    expect(evaluationNews(ev(), ev({ time: 'later', reason: 'more games' }))).toBe(false);
    expect(evaluationNews(ev(), ev({ decision: 'InsufficientData' }))).toBe(true);
    expect(evaluationNews(ev(), ev({ outcome: 'Applied' }))).toBe(true);
    expect(evaluationNews(ev(), ev({ id: 'brian-v1-v3-y' }))).toBe(true);
  });

  it('summarises every model in LAST DECISION, shortened to fit a column', () => {
    const entry = (model: string, decision?: Evaluation['decision']) => ({
      model,
      ...(decision ? { lastEvaluation: ev({ decision }) } : {}),
    });
    expect(decisionSummary([entry('logan', 'Promote'), entry('brian', 'Keep'), entry('new')])).toBe(
      'brian=Keep, logan=Promote',
    );
    expect(decisionSummary([])).toBe('');
    const many = Array.from({ length: 30 }, (_, i) => entry(`model-${String(i).padStart(2, '0')}`, 'Keep'));
    const text = decisionSummary(many);
    expect(text.length).toBeLessThanOrEqual(120);
    expect(text).toMatch(/^model-00=Keep, model-01=Keep, .* \(\+(\d+) more\)$/);
    const shown = text.split(', ').length;
    expect(Number(/\+(\d+) more/.exec(text)![1])).toBe(30 - shown);
  });
});

describe('evaluate-now', () => {
  const policy = (annotation: string | undefined, last: string | undefined) => ({
    metadata: {
      name: 'default',
      namespace: 'rps-quest',
      uid: 'u',
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: since,
      ...(annotation !== undefined ? { annotations: { 'rpsquest.dev/evaluate-now': annotation } } : {}),
    },
    status: last !== undefined ? { lastEvaluateNow: last } : {},
  });

  it('is requested by an annotation value not acted on before, once', () => {
    expect(evaluateNowRequest(policy('1700000000', undefined))).toBe('1700000000');
    expect(evaluateNowRequest(policy('1700000001', '1700000000'))).toBe('1700000001');
    // recorded in status: acted on
    expect(evaluateNowRequest(policy('1700000001', '1700000001'))).toBeUndefined();
  });

  it('is not requested without the annotation or with an empty value', () => {
    expect(evaluateNowRequest(policy(undefined, undefined))).toBeUndefined();
    expect(evaluateNowRequest(policy('', 'x'))).toBeUndefined();
  });
});
