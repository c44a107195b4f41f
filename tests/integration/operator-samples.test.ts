import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NAMESPACE,
  condition,
  eventually,
  getModel,
  getPolicy,
  startOperatorEnv,
  startRealGameServer,
  type OperatorEnv,
  type RealGameServer,
} from './operator-fixtures.ts';

// The samples against the real game server: the trainer reads its export (empty at first, so each
// bot trains on its cold-start corpus), the app loads what the operator writes into the manifest,
// and the operator's Served condition reads what the app reports.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let env: OperatorEnv;
let game: RealGameServer;

beforeAll(async () => {
  env = await startOperatorEnv();
  game = await startRealGameServer(env);
  await env.startOperator({ gameUrl: game.url });
});

afterAll(async () => {
  await game?.stop();
  await env?.stop();
});

interface ServedModels {
  models: { model: string; aliases: Record<string, { version: string; loaded: boolean; sha256: string }> }[];
}

describe('config/samples', () => {
  it(
    'each bot trains v1 with the real trainer, serves it in every alias and is Ready',
    { timeout: 600_000 },
    async () => {
      await env.kubectl(['apply', '-n', NAMESPACE, '-k', path.join(repo, 'config', 'samples')]);
      await env.kubectl([
        'wait',
        '-n',
        NAMESPACE,
        '--for=condition=Ready',
        'rpsm',
        '--all',
        '--timeout=540s',
      ]);
      for (const name of ['brian', 'forrest', 'logan']) {
        const m = await getModel(env, name);
        expect(m.status?.aliases).toEqual({ Production: 'v1', B: 'v1', Shadow1: 'v1', Shadow2: 'v1' });
        expect(condition(m, 'Served')?.status).toBe('True');
      }
      // the game server itself loaded v1 into every alias, with the registered artifact
      const served = (await (await fetch(`${game.url}/api/v1/models`)).json()) as ServedModels;
      for (const name of ['brian', 'forrest', 'logan']) {
        const sha = (await getModel(env, name)).status?.versions?.[0]?.sha256;
        expect(sha).toMatch(/^[0-9a-f]{64}$/);
        const aliases = served.models.find((m) => m.model === name)?.aliases ?? {};
        expect(Object.keys(aliases).sort()).toEqual(['B', 'Production', 'Shadow1', 'Shadow2']);
        for (const target of Object.values(aliases)) {
          expect(target).toMatchObject({ version: 'v1', loaded: true, sha256: sha });
        }
      }
      const table = (await env.kubectl(['get', 'rpsm', '-n', NAMESPACE])).trim().split('\n');
      expect(table[0]!.split(/\s{2,}/)).toEqual([
        'NAME',
        'ALGORITHM',
        'PRODUCTION',
        'B',
        'LATEST',
        'ACCURACY',
        'READY',
        'AGE',
      ]);
      const rows = table.slice(1).map((l) => l.split(/\s+/));
      expect(rows.map((r) => r.slice(0, 5))).toEqual([
        ['brian', 'mlp', 'v1', 'v1', 'v1'],
        ['forrest', 'gbdt', 'v1', 'v1', 'v1'],
        ['logan', 'logistic', 'v1', 'v1', 'v1'],
      ]);
      expect(rows.every((r) => r[6] === 'True')).toBe(true);
      const policy = await eventually('the policy evaluates', async () => {
        const p = await getPolicy(env, 'default');
        return p.status?.models?.length === 3 ? p : undefined;
      });
      expect(policy.status?.selectedModels).toBe('brian,forrest,logan');
      expect(policy.status?.models?.map((m) => m.lastEvaluation?.decision)).toEqual([
        'NoChallenger',
        'NoChallenger',
        'NoChallenger',
      ]);
    },
  );
});
