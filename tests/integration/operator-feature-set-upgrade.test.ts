// Upgrading a running installation to a new feature set, on the real parts: the operator on a real
// API server and MinIO, the real trainer in Jobs, the app serving the manifest ConfigMap. A model
// serving an rps-features/v1 version changes spec.featureSet to rps-features/v2: a v2 version is
// trained, enters where the PromotionPolicy says (B) and is served next to the v1 Production, each
// computing its own features; it becomes Production only when the A/B test says it wins.
//
// v1 (gbdt on rps-features/v1) learns Hal, who always plays the middle-valued move: trees read
// "middle" from the values, so its greedy bot plays the highest-valued move, and Cal — who always
// plays the move that beats it — wins nearly every game against it. v2, trained on Cal's rounds,
// wins most of its games. (The test is about the lifecycle, not the size of the gain.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../app/simulate.ts';
import type { ServingManifest } from '../../core/index.ts';
import type { Manager } from '../../operator/manager.ts';
import {
  CONFIGMAP,
  NAMESPACE,
  apply,
  condition,
  eventually,
  getModel,
  getPolicy,
  patchModelSpec,
  startOperatorEnv,
  startRealGameServer,
  type OperatorEnv,
  type RealGameServer,
} from './operator-fixtures.ts';

const WINDOW = 300;
let env: OperatorEnv;
let game: RealGameServer;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv();
  game = await startRealGameServer(env);
  operator = await env.startOperator({ gameUrl: game.url });
});

afterAll(async () => {
  await operator?.stop();
  await game?.stop();
  await env?.stop();
});

const policy = (minGames: number) => `apiVersion: rpsquest.dev/v1alpha1
kind: PromotionPolicy
metadata:
  name: default
  namespace: ${NAMESPACE}
spec:
  models: [logan]
  interval: 5s
  mode: Automatic
  includeSyntheticPlayers: true
  newVersionAlias: B
  test:
    twoProportionZ: { alpha: 0.01, minGames: ${minGames} }
`;

const MODEL = `apiVersion: rpsquest.dev/v1alpha1
kind: RpsModel
metadata:
  name: logan
  namespace: ${NAMESPACE}
spec:
  displayName: Logan
  algorithm: gbdt
  featureSet: rps-features/v1
  hyperparameters: { trees: 60, depth: 3 }
  training:
    maxEvents: ${WINDOW}
    minTotalEvents: ${WINDOW}
    bootstrapGames: 0
    retryDelaySeconds: 1
    maxRetryDelaySeconds: 2
`;

interface ServedModels {
  models: { model: string; aliases: Record<string, { version: string; loaded: boolean }> }[];
}

async function manifest(): Promise<ServingManifest> {
  const out = await env.kubectl([
    '-n',
    NAMESPACE,
    'get',
    'configmap',
    CONFIGMAP,
    '-o',
    'jsonpath={.data.logan\\.json}',
  ]);
  return JSON.parse(out) as ServingManifest;
}

describe('a feature-set upgrade of a running installation', () => {
  it('trains a v2 version that enters B, is served beside the v1 Production, and is promoted by the A/B test', async () => {
    await game.play('logan', 'Hal', WINDOW, 1);
    await apply(env, policy(100_000));
    await apply(env, MODEL);
    const first = await eventually('v1 (rps-features/v1) served', async () => {
      const m = await getModel(env, 'logan');
      return m.status?.aliases?.Production === 'v1' && condition(m, 'Served')?.status === 'True'
        ? m
        : undefined;
    });
    expect(first.status?.versions?.[0]).toMatchObject({ name: 'v1', featureSet: 'rps-features/v1' });
    expect((await manifest()).aliases.Production).toMatchObject({
      version: 'v1',
      featureSet: 'rps-features/v1',
    });

    // the upgrade: a spec change like any other trains v2 with the new features
    await game.play('logan', 'Cal', WINDOW, 100);
    await patchModelSpec(env, 'logan', { featureSet: 'rps-features/v2' });
    const upgraded = await eventually('v2 (rps-features/v2) in B, served beside v1', async () => {
      const m = await getModel(env, 'logan');
      return m.status?.aliases?.B === 'v2' && condition(m, 'Served')?.status === 'True' ? m : undefined;
    });
    expect(upgraded.status?.aliases?.Production).toBe('v1');
    expect(upgraded.status?.versions?.find((v) => v.name === 'v2')).toMatchObject({
      featureSet: 'rps-features/v2',
      trigger: 'specChanged',
    });
    const served = await manifest();
    expect(served.featureSet).toBe('rps-features/v2');
    expect(served.aliases.Production).toMatchObject({ version: 'v1', featureSet: 'rps-features/v1' });
    expect(served.aliases.B).toMatchObject({ version: 'v2', featureSet: 'rps-features/v2' });
    const models = (await (await fetch(`${game.url}/api/v1/models`)).json()) as ServedModels;
    const logan = models.models.find((m) => m.model === 'logan')!;
    expect(logan.aliases.Production).toMatchObject({ version: 'v1', loaded: true });
    expect(logan.aliases.B).toMatchObject({ version: 'v2', loaded: true });
    // the v2 version's evaluation scored v1 on the same rounds in v1's own features
    expect(upgraded.status?.versions?.find((v) => v.name === 'v2')?.evaluation).toMatchObject({
      production: { version: 'v1' },
    });

    // games split between both arms: each version predicts with its own features, and v2 wins
    const played = await simulate({ url: game.url, games: 80, bots: ['logan'], players: ['Cal'], seed: 500 });
    expect(played.games).toBe(80);
    expect((await getModel(env, 'logan')).status?.aliases?.Production).toBe('v1');
    await apply(env, policy(10));
    const promoted = await eventually(
      'v2 promoted by the A/B test',
      async () => {
        const m = await getModel(env, 'logan');
        if (m.status?.aliases?.Production === 'v2') return m;
        // while waiting, the policy's latest evidence is what a timeout reports
        const p = await getPolicy(env, 'default');
        throw new Error(`not yet: ${JSON.stringify(p.status?.models?.[0]?.lastEvaluation ?? null)}`);
      },
      180_000,
    );
    expect(promoted.status?.aliases?.B).toBe('v1');
    expect(
      promoted.status?.aliasHistory?.some(
        (h) => h.alias === 'Production' && h.to === 'v2' && h.reason === 'Promoted',
      ),
    ).toBe(true);
  }, 420_000);
});
