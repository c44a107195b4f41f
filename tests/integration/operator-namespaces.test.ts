// One operator, two namespaces: each namespace has its own game server (the one that mounts that
// namespace's serving ConfigMap) and its own Secrets for the trainer; the operator, given the two
// namespaces (WATCH_NAMESPACES) and each one's game server, trains and serves the models of both.
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPodExecutor, type PodExecutor } from '../../hack/harness/index.ts';
import type { Manager } from '../../operator/manager.ts';
import { GROUP, RPS_MODELS, VERSION, type RpsModel } from '../../operator/resources.ts';
import {
  CONFIGMAP,
  NAMESPACE,
  TOKEN,
  apply,
  condition,
  eventually,
  modelYaml,
  startOperatorEnv,
  startRealGameServer,
  type OperatorEnv,
  type RealGameServer,
} from './operator-fixtures.ts';

const TEAM = 'team-b';

let env: OperatorEnv;
let home: RealGameServer;
let team: RealGameServer;
let teamExecutor: PodExecutor;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv();
  const core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: TEAM } } });
  await core.createNamespacedSecret({
    namespace: TEAM,
    body: { metadata: { name: 'rps-quest-internal' }, stringData: { token: TOKEN } },
  });
  teamExecutor = await startPodExecutor({
    kubeConfig: env.cp.kubeConfig,
    namespace: TEAM,
    logDir: path.join(env.dir, 'pods-team'),
    env: { RPS_S3_RETRIES: '2' },
  });
  home = await startRealGameServer(env);
  team = await startRealGameServer(env, { namespace: TEAM, seed: 12 });
  operator = await env.startOperator({
    watchNamespaces: [NAMESPACE, TEAM],
    gameUrl: home.url,
    gameUrls: { [TEAM]: team.url },
  });
});

afterAll(async () => {
  await operator?.stop();
  await teamExecutor?.stop();
  await team?.stop();
  await home?.stop();
  await env?.stop();
});

async function modelIn(namespace: string, name: string): Promise<RpsModel> {
  return (await env.kube.custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: RPS_MODELS,
    name,
  })) as RpsModel;
}

async function served(server: RealGameServer, model: string): Promise<string | undefined> {
  const res = await fetch(`${server.url}/api/v1/models`);
  const { models } = (await res.json()) as {
    models: { model: string; aliases: Record<string, { version: string; loaded: boolean }> }[];
  };
  const production = models.find((m) => m.model === model)?.aliases.Production;
  return production?.loaded ? production.version : undefined;
}

describe('an operator watching two namespaces', () => {
  it("trains a model in each and has each namespace's game server serve its own", async () => {
    await apply(env, modelYaml('brian'));
    await apply(env, modelYaml('logan').replace(`namespace: ${NAMESPACE}`, `namespace: ${TEAM}`));

    for (const [namespace, name] of [
      [NAMESPACE, 'brian'],
      [TEAM, 'logan'],
    ] as const) {
      const model = await eventually(`${namespace}/${name} trained and served`, async () => {
        const m = await modelIn(namespace, name);
        return m.status?.aliases?.Production === 'v1' && condition(m, 'Ready')?.status === 'True'
          ? m
          : undefined;
      });
      expect(model.status?.serving).toMatchObject({ configMap: CONFIGMAP, key: `${name}.json` });
      expect(model.status?.versions?.[0]?.job).toBe(`${name}-train-v1`);
    }

    // each game server serves only its namespace's model
    expect(await eventually('brian served at home', () => served(home, 'brian'))).toBe('v1');
    expect(await eventually('logan served by the team game server', () => served(team, 'logan'))).toBe('v1');
    expect(await served(home, 'logan')).toBeUndefined();
    expect(await served(team, 'brian')).toBeUndefined();

    // the training Job and the Events are in the model's namespace
    const core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    const events = await core.listNamespacedEvent({ namespace: TEAM });
    expect(
      events.items.some((e) => e.involvedObject.name === 'logan' && e.reason === 'VersionRegistered'),
    ).toBe(true);
    expect(
      teamExecutor.logs(TEAM, (await core.listNamespacedPod({ namespace: TEAM })).items[0]!.metadata!.name!),
    ).toContain('reading events from the game server');
  });
});
