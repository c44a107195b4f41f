// Promotion through the real game server: the operator on a real API server and MinIO, the real
// trainer in Jobs, and the app (buildApp, listening) serving the manifest ConfigMap as the kubelet
// would mount it. Games are played through the app's public API by core's synthetic players, so
// the policy reads the app's own per-version stats.
//
// How B comes to win clearly more: v1 is trained only on Hal (the middle-valued move), v2 only on
// Cal (the lowest-valued move, the one that beats the highest). v2 has learnt exactly the player
// who then plays both, so its bot wins nearly every game; v1 has never seen Cal's history and
// guesses from features that never varied in its training rows.
//
// The model reads rps-features/v1, whose features describe the player rather than how well each
// reading of it works, so a version trained on Hal alone does not carry over to Cal (v2's would).
//
// Then the entry gate: v3, trained with crippled hyperparameters, scores far below Production v2
// on the same held-out rounds (the trainer's offline evaluation), so it may not become B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../app/simulate.ts';
import type { Manager } from '../../operator/manager.ts';
import type { Evaluation, PromotionPolicy } from '../../operator/resources.ts';
import {
  NAMESPACE,
  apply,
  condition,
  eventually,
  getModel,
  getPolicy,
  CAL_GAMES,
  halThenCalModelYaml,
  patchModelSpec,
  startOperatorEnv,
  startRealGameServer,
  type OperatorEnv,
  type RealGameServer,
} from './operator-fixtures.ts';

/** Each training run reads the newest 300 rounds: all Hal for v1, all Cal for v2. */
const WINDOW = 300;

let env: OperatorEnv;
let game: RealGameServer;
let operator: Manager;
let url: string;

beforeAll(async () => {
  env = await startOperatorEnv();
  game = await startRealGameServer(env);
  url = game.url;
  operator = await env.startOperator({ gameUrl: url });
});

afterAll(async () => {
  await operator?.stop();
  await game?.stop();
  await env?.stop();
});

function policyYaml(name: string, mode: string, minGames: number, extra = ''): string {
  return `apiVersion: rpsquest.dev/v1alpha1
kind: PromotionPolicy
metadata:
  name: ${name}
  namespace: ${NAMESPACE}
spec:
  models: [brian]
  interval: 5s
  mode: ${mode}
  includeSyntheticPlayers: true
  newVersionAlias: B
  test:
    twoProportionZ: { alpha: 0.01, minGames: ${minGames} }
${extra}`;
}
const GATE = '  entryGate: { maxAccuracyDeficit: 10 }\n';

const MODEL = halThenCalModelYaml(WINDOW);

const evaluationOf = (p: PromotionPolicy): Evaluation | undefined =>
  p.status?.models?.find((m) => m.model === 'brian')?.lastEvaluation;

describe('promotion driven through the real game server', () => {
  it('DryRun records the promotion that Automatic then applies, with p below alpha', async () => {
    // v1 learns Hal (against the uniform default bot: no manifest yet)
    await game.play('brian', 'Hal', WINDOW, 1);
    await apply(env, policyYaml('default', 'Automatic', 100_000, GATE));
    await apply(env, MODEL);
    await eventually('v1 served by the app', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === 'v1' && condition(m, 'Served')?.status === 'True';
    });

    // v2 learns Cal, and enters as B (the governing policy's newVersionAlias)
    await game.play('brian', 'Cal', WINDOW, 100);
    await env.kubectl(['-n', NAMESPACE, 'annotate', 'rpsm', 'brian', 'rpsquest.dev/train-now=1']);
    const model = await eventually('v2 in B, served', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.B === 'v2' &&
        condition(m, 'Served')?.status === 'True' &&
        m.status.serving?.manifestSha256
        ? m
        : undefined;
    });
    expect(model.status?.aliases).toMatchObject({ Production: 'v1', B: 'v2' });
    expect(model.status?.challenge).toMatchObject({ production: 'v1', b: 'v2' });
    // the trainer scored v2 and v1 on v2's held-out rounds (Cal's): v2 passes the gate
    const v2 = model.status!.versions!.find((v) => v.name === 'v2')!;
    expect(v2.evaluation).toMatchObject({
      candidate: { version: 'v2' },
      production: { version: 'v1' },
      gate: { passed: true, reason: 'GatePassed', maxAccuracyDeficit: 10 },
    });
    expect(v2.evaluation!.accuracyDelta).toBeGreaterThan(0);

    // Cal plays both, split 50/50 by the app between v1 and v2
    const games = await simulate({ url, games: CAL_GAMES, bots: ['brian'], players: ['Cal'], seed: 500 });
    expect(games.games).toBe(CAL_GAMES);

    // a DryRun policy with a reachable minGames decides to promote, and nothing changes
    await apply(env, policyYaml('watch', 'DryRun', 10));
    const dry = evaluationOf(
      await eventually('the DryRun decision', async () => {
        const p = await getPolicy(env, 'watch');
        return evaluationOf(p)?.decision === 'Promote' ? p : undefined;
      }),
    )!;
    expect(dry.outcome).toBe('DryRun');
    expect(dry.production?.version).toBe('v1');
    expect(dry.b?.version).toBe('v2');
    expect(dry.production!.games + dry.b!.games).toBe(CAL_GAMES);
    expect(dry.b!.rate).toBeGreaterThan(dry.production!.rate);
    expect(dry.pValue).toBeLessThan(0.01);
    expect((await getModel(env, 'brian')).status?.aliases).toMatchObject({ Production: 'v1', B: 'v2' });

    // the governing Automatic policy, given the same minGames, applies the same decision
    await apply(env, policyYaml('default', 'Automatic', 10, GATE));
    const promoted = await eventually('v2 promoted', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === 'v2' ? m : undefined;
    });
    expect(promoted.status?.aliases?.B).toBe('v1');
    const applied = evaluationOf(
      await eventually('the applied evaluation', async () => {
        const p = await getPolicy(env, 'default');
        const ev = evaluationOf(p);
        return ev?.decision === 'Promote' && ev.outcome === 'Applied' ? p : undefined;
      }),
    )!;
    expect(applied.production).toEqual(dry.production);
    expect(applied.b).toEqual(dry.b);
    expect(applied.pValue).toBe(dry.pValue);
    expect(promoted.status?.promotion?.lastAppliedEvaluation).toBe(applied.id);

    // the app serves the promotion: v2 answers as Production
    await eventually('the app serves v2 as Production', async () => {
      const res = await fetch(`${url}/api/v1/models`);
      const { models } = (await res.json()) as {
        models: { model: string; aliases: Record<string, { version: string; loaded: boolean }> }[];
      };
      const brian = models.find((m) => m.model === 'brian');
      return brian?.aliases.Production?.version === 'v2' && brian.aliases.Production.loaded;
    });
  });

  it('keeps a version far below Production out of B (the entry gate)', async () => {
    await patchModelSpec(env, 'brian', {
      hyperparameters: { epochs: 1, learningRate: 0.00001, patience: 1 },
    });
    const model = await eventually('v3 registered', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.versions?.some((v) => v.name === 'v3') ? m : undefined;
    });
    const v3 = model.status!.versions!.find((v) => v.name === 'v3')!;
    expect(v3.trigger).toBe('specChanged');
    expect(v3.evaluation).toMatchObject({
      candidate: { version: 'v3' },
      production: { version: 'v2' },
      gate: { passed: false, reason: 'GateBlocked', maxAccuracyDeficit: 10 },
    });
    expect(v3.evaluation!.accuracyDelta).toBeLessThan(-0.1);
    // newVersionAlias B, but blocked: it enters a shadow. The Automatic policy (every 5 s) may have
    // ranked the challengers since (v3 to Shadow1), so the entry is read from the history
    expect(model.status?.aliasHistory?.filter((h) => h.to === 'v3')[0]).toMatchObject({
      alias: 'Shadow2',
      from: 'v2',
      reason: 'NewVersion',
    });
    expect(model.status?.aliases).toMatchObject({ Production: 'v2', B: 'v1' });
    expect([model.status?.aliases?.Shadow1, model.status?.aliases?.Shadow2]).toContain('v3');

    // the Event follows the status write
    const blocked = await eventually('the GateBlocked Event', async () => {
      const events = (await env.kube.custom.listNamespacedCustomObject({
        group: 'events.k8s.io',
        version: 'v1',
        namespace: NAMESPACE,
        plural: 'events',
      })) as { items: { reason: string; note: string; regarding: { name: string } }[] };
      const found = events.items.filter((e) => e.regarding.name === 'brian' && e.reason === 'GateBlocked');
      return found.length ? found : undefined;
    });
    expect(blocked.map((e) => e.note)).toEqual([`v3 may not enter B: ${v3.evaluation!.gate!.message}`]);

    // the policy's ranking passes it over for B and says why
    const policy = await eventually('an evaluation ranking v3', async () => {
      const p = await getPolicy(env, 'default');
      return evaluationOf(p)?.ranking.some((r) => r.version === 'v3') ? p : undefined;
    });
    const ev = evaluationOf(policy)!;
    expect(ev.ranking.find((r) => r.version === 'v3')?.gate).toBe('GateBlocked');
    expect(ev.target.B).toBe('v1');
    expect((await getModel(env, 'brian')).status?.aliases?.B).toBe('v1');
  });

  it('a pin rolls Production back to v1 and the app follows', async () => {
    await patchModelSpec(env, 'brian', { aliases: { Production: 'v1' } });
    const pinned = await eventually('Production pinned to v1 and served', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === 'v1' &&
        condition(m, 'Served')?.status === 'True' &&
        m.status.observedGeneration === m.metadata.generation
        ? m
        : undefined;
    });
    expect(pinned.status?.aliasHistory?.filter((h) => h.alias === 'Production').at(-1)).toMatchObject({
      from: 'v2',
      to: 'v1',
      reason: 'Pinned',
    });
    const v1 = pinned.status!.versions!.find((v) => v.name === 'v1')!;
    const res = await fetch(`${url}/api/v1/models`);
    const { models } = (await res.json()) as {
      models: {
        model: string;
        aliases: Record<string, { version: string; sha256: string; loaded: boolean }>;
      }[];
    };
    expect(models.find((m) => m.model === 'brian')?.aliases.Production).toEqual({
      version: 'v1',
      sha256: v1.sha256,
      loaded: true,
    });
  });
});
