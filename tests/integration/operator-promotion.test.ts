import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersionStats } from '../../core/index.ts';
import type { Manager } from '../../operator/manager.ts';
import type { PromotionPolicy, PromotionPolicyStatus, RpsModel } from '../../operator/resources.ts';
import {
  CONFIGMAP,
  NAMESPACE,
  apply,
  condition,
  eventually,
  getModel,
  getPolicy,
  modelYaml,
  startOperatorEnv,
  type OperatorEnv,
} from './operator-fixtures.ts';

let env: OperatorEnv;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv();
  operator = await env.startOperator();
  await apply(env, modelYaml('brian'));
  await eventually('v1', async () => (await getModel(env, 'brian')).status?.aliases?.Production === 'v1');
  await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'brian', 'rpsquest.dev/train-now=1']);
  await eventually(
    'v2 in Shadow2',
    async () => (await getModel(env, 'brian')).status?.aliases?.Shadow2 === 'v2',
  );
});

afterAll(async () => {
  await env?.stop();
});

const stat = (
  version: string,
  games: number,
  botWins: number,
  predictions = 400,
  correct = 150,
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

function policyYaml(mode: string, extra = ''): string {
  return `apiVersion: rpsquest.dev/v1alpha1
kind: PromotionPolicy
metadata:
  name: default
  namespace: ${NAMESPACE}
spec:
  models: [brian]
  interval: 5s
  mode: ${mode}
  test:
    twoProportionZ: { alpha: 0.05, minGames: 50 }
  trafficSplit: { Production: 0.7, B: 0.3 }
  shadowRanking: { minPredictions: 10 }
${extra}`;
}

const lastEvaluation = (p: PromotionPolicy) =>
  p.status?.models?.find((m) => m.model === 'brian')?.lastEvaluation;

async function untilEvaluation(check: (p: PromotionPolicy) => boolean): Promise<PromotionPolicy> {
  return eventually('an evaluation', async () => {
    const p = await getPolicy(env, 'default');
    return lastEvaluation(p) && check(p) ? p : undefined;
  });
}

async function eventReasons(name: string): Promise<string[]> {
  const list = (await env.kube.custom.listNamespacedCustomObject({
    group: 'events.k8s.io',
    version: 'v1',
    namespace: NAMESPACE,
    plural: 'events',
  })) as { items: { reason: string; regarding: { name: string } }[] };
  return list.items.filter((e) => e.regarding.name === name).map((e) => e.reason);
}

describe('PromotionPolicy on a real API server', () => {
  it('ranks the new version into B when B repeats Production, and puts the traffic split in the manifest', async () => {
    await apply(env, policyYaml('Automatic'));
    const model = await eventually('B=v2', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.B === 'v2' ? m : undefined;
    });
    expect(model.status?.aliases).toMatchObject({ Production: 'v1', B: 'v2' });
    expect(model.status?.aliasHistory?.find((h) => h.alias === 'B' && h.to === 'v2')?.reason).toBe('Ranked');
    expect(model.status?.challenge).toMatchObject({ production: 'v1', b: 'v2' });
    const policy = await untilEvaluation((p) => lastEvaluation(p)?.outcome === 'Applied');
    expect(lastEvaluation(policy)).toMatchObject({
      decision: 'NoChallenger',
      target: { Production: 'v1', B: 'v2' },
    });
    expect(condition(policy, 'Ready')).toMatchObject({ status: 'True', reason: 'Evaluating' });
    expect(policy.status?.selectedModels).toBe('brian');
    await eventually('split in manifest', async () => {
      const cm = await env.kube.core.readNamespacedConfigMap({ name: CONFIGMAP, namespace: NAMESPACE });
      const manifest = JSON.parse(cm.data!['brian.json']!) as { trafficSplit: object };
      return JSON.stringify(manifest.trafficSplit) === JSON.stringify({ Production: 0.7, B: 0.3 });
    });
  });

  it('DryRun records a promotion with its evidence without applying it', async () => {
    const since = (await getModel(env, 'brian')).status!.challenge!.since!;
    env.game.stats.set('brian', [stat('v1', 100, 40), stat('v2', 100, 65)]);
    await apply(env, policyYaml('DryRun'));
    const policy = await untilEvaluation((p) => lastEvaluation(p)?.decision === 'Promote');
    const ev = lastEvaluation(policy)!;
    expect(ev).toMatchObject({
      outcome: 'DryRun',
      mode: 'DryRun',
      method: 'twoProportionZ',
      since,
      production: { version: 'v1', games: 100, wins: 40, rate: 0.4 },
      b: { version: 'v2', games: 100, wins: 65, rate: 0.65 },
      alpha: 0.05,
    });
    expect(ev.pValue).toBeLessThan(0.05);
    expect(ev.z).toBeGreaterThan(3);
    expect(policy.status?.lastDecision).toBe('brian=Promote');
    expect(env.game.statsQueries.at(-1)).toEqual({ model: 'brian', since, excludeSynthetic: 'true' });
    const model = await getModel(env, 'brian');
    expect(model.status?.aliases).toMatchObject({ Production: 'v1', B: 'v2' });
    expect(await eventReasons('default')).toContain('PromotionDryRun');
  });

  it('Automatic applies the same decision: B becomes Production and the old Production the challenger', async () => {
    await apply(env, policyYaml('Automatic'));
    const model = await eventually('v2 promoted', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === 'v2' ? m : undefined;
    });
    expect(model.status?.aliases).toMatchObject({ Production: 'v2', B: 'v1' });
    const recent = model.status!.aliasHistory!.slice(-3).map((h) => [h.alias, h.from, h.to, h.reason]);
    expect(recent).toEqual([
      ['Production', 'v1', 'v2', 'Promoted'],
      ['B', 'v2', 'v1', 'Demoted'],
      // no other version to rank: the remaining aliases repeat Production
      ['Shadow1, Shadow2', 'v1', 'v2', 'Ranked'],
    ]);
    const policy = await untilEvaluation(
      (p) => lastEvaluation(p)?.outcome === 'Applied' && lastEvaluation(p)?.decision === 'Promote',
    );
    expect(lastEvaluation(policy)!.pValue).toBeLessThan(0.05);
    expect(model.status?.promotion?.lastAppliedEvaluation).toBe(lastEvaluation(policy)!.id);
    // one Event per promotion: PromotionApplied, listing the alias changes
    const reasons = await eventReasons('brian');
    expect(reasons.filter((r) => r === 'PromotionApplied')).toHaveLength(1);
    expect(reasons).not.toContain('Promoted');
    const p = (await operator.metrics.lastPValue.get()).values.find((v) => v.labels.model === 'brian');
    expect(p?.value).toBeLessThan(0.05);
  });

  it('Manual waits for the evaluation id in approve', async () => {
    // now Production is v2 and B is v1; make v1 win clearly
    env.game.stats.set('brian', [stat('v2', 100, 40), stat('v1', 100, 70)]);
    await apply(env, policyYaml('Manual'));
    const policy = await untilEvaluation(
      (p) => lastEvaluation(p)?.decision === 'Promote' && lastEvaluation(p)?.outcome === 'AwaitingApproval',
    );
    const id = lastEvaluation(policy)!.id;
    expect(id).toMatch(/^brian-v2-v1-/);
    expect((await getModel(env, 'brian')).status?.aliases?.Production).toBe('v2');
    await apply(env, policyYaml('Manual', `  approve: [${id}]\n`));
    await eventually(
      'approved promotion applied',
      async () => (await getModel(env, 'brian')).status?.aliases?.Production === 'v1',
    );
  });

  it('a promotion recorded but not applied before a crash is applied once by the next operator', async () => {
    env.game.stats.set('brian', []);
    await apply(env, policyYaml('Automatic').replace('interval: 5s', 'interval: 1h'));
    await eventually('stable', async () => {
      const p = await getPolicy(env, 'default');
      return (
        lastEvaluation(p)?.decision === 'InsufficientData' &&
        p.status?.observedGeneration === p.metadata.generation
      );
    });
    await operator.stop();
    const model: RpsModel = await getModel(env, 'brian');
    const aliases = model.status!.aliases!;
    const promotedBefore = model.status!.aliasHistory!.filter((h) => h.reason === 'Promoted').length;
    // the state a crash between the policy's status write and the model's leaves behind
    const policy = await getPolicy(env, 'default');
    const now = new Date().toISOString();
    const ev = {
      ...lastEvaluation(policy)!,
      id: 'brian-half-applied',
      time: now,
      decision: 'Promote' as const,
      outcome: 'Pending' as const,
      aliases,
      target: { ...aliases, Production: aliases.B!, B: aliases.Production! },
    };
    const status: PromotionPolicyStatus = {
      ...policy.status,
      models: [
        {
          model: 'brian',
          lastEvaluation: ev,
          history: [ev],
          nextEvaluationTime: new Date(Date.now() + 3_600_000).toISOString(),
        },
      ],
    };
    await env.kube.custom.replaceNamespacedCustomObjectStatus({
      group: 'rpsquest.dev',
      version: 'v1alpha1',
      namespace: NAMESPACE,
      plural: 'promotionpolicies',
      name: 'default',
      body: { ...policy, status },
    });
    operator = await env.startOperator();
    const after = await eventually('half-applied promotion converged', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === aliases.B ? m : undefined;
    });
    const p = await untilEvaluation((x) => lastEvaluation(x)?.outcome === 'Applied');
    expect(lastEvaluation(p)?.id).toBe('brian-half-applied');
    expect(after.status!.aliasHistory!.filter((h) => h.reason === 'Promoted').length).toBe(
      promotedBefore + 1,
    );
    expect(after.status?.promotion?.lastAppliedEvaluation).toBe('brian-half-applied');
  });

  it('evaluates again at once when the pair changes, and records an Event only for a new evaluation', async () => {
    env.game.stats.set('brian', []);
    await apply(env, policyYaml('DryRun'));
    const first = await untilEvaluation((p) => lastEvaluation(p)?.mode === 'DryRun');
    const id = lastEvaluation(first)!.id;
    const time = lastEvaluation(first)!.time;
    // two more evaluations of the same pair with the same evidence
    const second = await untilEvaluation((p) => lastEvaluation(p)!.time > time);
    const again = await untilEvaluation((p) => lastEvaluation(p)!.time > lastEvaluation(second)!.time);
    expect(lastEvaluation(again)!.id).toBe(id);
    // they replace one history entry instead of repeating it
    const history = again.status!.models!.find((m) => m.model === 'brian')!.history!;
    expect(history.filter((h) => h.id === id && h.decision === lastEvaluation(again)!.decision)).toHaveLength(
      1,
    );
    const events = await env.kube.core.listNamespacedEvent({ namespace: NAMESPACE });
    const about = events.items.filter(
      (e) => e.involvedObject.name === 'default' && (e.message ?? '').includes(`[evaluation ${id}, DryRun]`),
    );
    expect(about.map((e) => e.count)).toEqual([1]);

    // a pin moves B: the policy does not wait for its interval (an hour) to evaluate the new pair
    await apply(env, policyYaml('DryRun').replace('interval: 5s', 'interval: 1h'));
    await untilEvaluation((p) => p.status?.observedGeneration === p.metadata.generation);
    const model = await getModel(env, 'brian');
    const other = model.status!.aliases!.B === 'v1' ? 'v2' : 'v1';
    await apply(env, modelYaml('brian', { spec: `  aliases: { B: ${other} }` }));
    const moved = await untilEvaluation((p) => lastEvaluation(p)?.aliases.B === other);
    expect(lastEvaluation(moved)!.id).not.toBe(id);
    await apply(env, modelYaml('brian'));
    // the next test starts from a settled policy: it has evaluated the pair the unpinned model serves
    await eventually('the policy evaluated the unpinned pair', async () => {
      const current = await getModel(env, 'brian');
      const policy = await getPolicy(env, 'default');
      return (
        current.spec.aliases === undefined &&
        current.status?.aliases?.B !== undefined &&
        lastEvaluation(policy)?.aliases.B === current.status.aliases.B
      );
    });
  });

  it('the evaluate-now annotation evaluates before the interval is due, once per value', async () => {
    // the policy of the previous test evaluates hourly and has evaluated since its last change
    const before = lastEvaluation(await getPolicy(env, 'default'))!;
    const annotate = (value: string) =>
      env.kubectl([
        '-n',
        NAMESPACE,
        'annotate',
        'promo',
        'default',
        `rpsquest.dev/evaluate-now=${value}`,
        '--overwrite',
      ]);
    await annotate('first');
    const first = await untilEvaluation(
      (p) => p.status?.lastEvaluateNow === 'first' && lastEvaluation(p)!.time > before.time,
    );
    const evaluated = lastEvaluation(first)!.time;
    // the same value again (any update of the policy) does not evaluate again
    await env.kubectl(['-n', NAMESPACE, 'label', 'promo', 'default', 'touched=yes', '--overwrite']);
    await new Promise((r) => setTimeout(r, 2000));
    expect(lastEvaluation(await getPolicy(env, 'default'))!.time).toBe(evaluated);
    await annotate('second');
    await untilEvaluation(
      (p) => p.status?.lastEvaluateNow === 'second' && lastEvaluation(p)!.time > evaluated,
    );
  });

  it('a policy selecting more models than it evaluates says so and keeps its status bounded', async () => {
    const crowd = Array.from({ length: 52 }, (_, i) =>
      modelYaml(`crowd-${String(i).padStart(2, '0')}`, {
        metadata: '  labels: { rpsquest.dev/crowd: "yes" }',
        spec: '    suspend: true',
      }),
    ).join('---\n');
    await apply(env, crowd);
    await apply(
      env,
      `apiVersion: rpsquest.dev/v1alpha1
kind: PromotionPolicy
metadata:
  name: crowd
  namespace: ${NAMESPACE}
spec:
  selector: { matchLabels: { rpsquest.dev/crowd: "yes" } }
  interval: 5m
  mode: DryRun
`,
    );
    const p = await eventually('TooManyModels', async () => {
      const x = await getPolicy(env, 'crowd');
      return condition(x, 'Ready')?.reason === 'TooManyModels' ? x : undefined;
    });
    expect(condition(p, 'Ready')?.status).toBe('False');
    expect(condition(p, 'Ready')?.message).toBe(
      'the policy selects 52 models; it evaluates at most 50 (the first by name), skipped: crowd-50, crowd-51; split the models over more policies',
    );
    expect(p.status?.models).toHaveLength(50);
    expect(p.status?.models?.at(-1)?.model).toBe('crowd-49');
    // LAST DECISION covers every model, shortened to fit a column
    expect(p.status?.lastDecision).toMatch(
      /^crowd-00=NoChallenger, crowd-01=NoChallenger, .*crowd-0\d=NoChallenger \(\+\d+ more\)$/,
    );
    expect(p.status!.lastDecision!.length).toBeLessThanOrEqual(120);
  });
});
