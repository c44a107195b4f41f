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
  type OperatorEnv,
} from './operator-fixtures.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv();
  await env.startOperator();
});

afterAll(async () => {
  await env?.stop();
});

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
