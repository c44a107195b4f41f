import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { generateArgoHealth } from '../../hack/generate-argocd-health.ts';
import { describe, expect, it } from 'vitest';

// The Argo CD health checks (config/argocd/health/*.lua, generated from health/src/) run here in fengari, a Lua 5.3 in
// JavaScript, with the resource as the global `obj`. Argo CD runs them in gopher-lua (Lua 5.1) with
// only the base and table libraries, `package` (for require) and an os reduced to time and date:
// no string or math library (and so no string methods), which these tests hold the scripts to by
// opening base and table only. The same scripts run in the real Argo CD in
// tests/integration/gitops.test.ts.

type LuaState = object;
interface Fengari {
  to_luastring(s: string): Uint8Array;
  lua: {
    LUA_OK: number;
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: Uint8Array): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_rawseti(L: LuaState, index: number, i: number): void;
    lua_setfield(L: LuaState, index: number, k: Uint8Array): void;
    lua_getfield(L: LuaState, index: number, k: Uint8Array): number;
    lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_tojsstring(L: LuaState, index: number): string | null;
    lua_istable(L: LuaState, index: number): boolean;
    lua_isstring(L: LuaState, index: number): boolean;
    lua_pop(L: LuaState, n: number): void;
  };
  lauxlib: {
    luaL_newstate(): LuaState;
    luaL_requiref(L: LuaState, name: Uint8Array, open: unknown, global: number): void;
    luaL_loadstring(L: LuaState, s: Uint8Array): number;
  };
  lualib: Record<'luaopen_base' | 'luaopen_table', unknown>;
}
const { lua, lauxlib, lualib, to_luastring } = createRequire(import.meta.url)('fengari') as Fengari;

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const healthDir = path.join(repo, 'config/argocd/health');
const SCRIPTS = {
  RpsModel: readFileSync(path.join(healthDir, 'rpsmodel.lua'), 'utf8'),
  PromotionPolicy: readFileSync(path.join(healthDir, 'promotionpolicy.lua'), 'utf8'),
};

function push(L: LuaState, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (typeof value === 'number') {
    if (Number.isInteger(value)) lua.lua_pushinteger(L, value);
    else lua.lua_pushnumber(L, value);
  } else if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    const entries = Object.entries(value as Record<string, unknown>);
    lua.lua_createtable(L, 0, entries.length);
    for (const [key, item] of entries) {
      push(L, item);
      lua.lua_setfield(L, -2, to_luastring(key));
    }
  }
}

interface Health {
  status: string;
  message: string;
}

function health(kind: keyof typeof SCRIPTS, obj: unknown): Health {
  const L = lauxlib.luaL_newstate();
  const libs = [
    ['_G', lualib.luaopen_base],
    ['table', lualib.luaopen_table],
  ] as const;
  for (const [name, open] of libs) {
    lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
    lua.lua_pop(L, 1);
  }
  push(L, obj);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(SCRIPTS[kind])) !== lua.LUA_OK) {
    throw new Error(`${kind} script does not compile: ${lua.lua_tojsstring(L, -1)}`);
  }
  if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
    throw new Error(`${kind} script failed: ${lua.lua_tojsstring(L, -1)}`);
  }
  if (!lua.lua_istable(L, -1)) throw new Error(`${kind} script returned no table`);
  const field = (name: string): string => {
    lua.lua_getfield(L, -1, to_luastring(name));
    const value = lua.lua_isstring(L, -1) ? (lua.lua_tojsstring(L, -1) ?? '') : '';
    lua.lua_pop(L, 1);
    return value;
  };
  return { status: field('status'), message: field('message') };
}

const T = '2025-01-01T00:00:00Z';
const cond = (type: string, status: string, reason: string, message = `${type} ${reason}`) => ({
  type,
  status,
  reason,
  message,
  observedGeneration: 2,
  lastTransitionTime: T,
});

function rpsModel(options: { spec?: Record<string, unknown>; status?: Record<string, unknown> | null } = {}) {
  return {
    apiVersion: 'rpsquest.dev/v1alpha1',
    kind: 'RpsModel',
    metadata: { name: 'brian', namespace: 'rps-quest', generation: 2 },
    spec: { displayName: 'Brian', algorithm: 'mlp', ...options.spec },
    ...(options.status === null
      ? {}
      : {
          status: {
            observedGeneration: 2,
            latestVersion: 'v3',
            aliases: { Production: 'v3', B: 'v2', Shadow1: 'v1', Shadow2: 'v3' },
            conditions: [
              cond('Ready', 'True', 'Serving', 'Production v3 and B v2 are served'),
              cond('Training', 'False', 'Idle', 'v3 is the latest version'),
              cond('Served', 'True', 'Served', 'served'),
            ],
            ...options.status,
          },
        }),
  };
}

function promotionPolicy(
  options: { spec?: Record<string, unknown>; status?: Record<string, unknown> | null } = {},
) {
  return {
    apiVersion: 'rpsquest.dev/v1alpha1',
    kind: 'PromotionPolicy',
    metadata: { name: 'default', namespace: 'rps-quest', generation: 2 },
    spec: { models: ['brian', 'logan'], mode: 'Automatic', ...options.spec },
    ...(options.status === null
      ? {}
      : {
          status: {
            observedGeneration: 2,
            selectedModels: 'brian,logan',
            lastDecision: 'brian=Keep',
            conditions: [cond('Ready', 'True', 'Evaluating', 'Automatic: evaluating 2 model(s) every 5m')],
            models: [
              {
                model: 'brian',
                lastEvaluation: { id: 'brian/v3-v2/1', decision: 'Keep', outcome: 'NoChange' },
              },
              { model: 'logan', lastEvaluation: { id: 'logan/v2-v1/1', decision: 'InsufficientData' } },
            ],
            ...options.status,
          },
        }),
  };
}

describe('the generated health scripts', () => {
  it('are current: each script and the argocd-cm patch are what make generate writes from health/src', () => {
    const generated = generateArgoHealth();
    expect(generated.size).toBe(3);
    for (const [file, text] of generated) {
      expect(readFileSync(file, 'utf8'), `${file} is stale: run make generate`).toBe(text);
    }
  });

  it('start each from the shared status checks, with no include line left', () => {
    for (const script of Object.values(SCRIPTS)) {
      expect(script).toContain('local function condition(kind)');
      expect(script).not.toMatch(/^-- include:/m);
    }
  });
});

describe('the argocd-cm patch', () => {
  const cm = load(readFileSync(path.join(repo, 'config/argocd/argocd-cm-patch.yaml'), 'utf8')) as {
    metadata: { name: string; namespace: string };
    data: Record<string, string>;
  };

  it('carries each health script exactly as in config/argocd/health', () => {
    expect(cm.metadata).toEqual({ name: 'argocd-cm', namespace: 'argocd' });
    expect(Object.keys(cm.data).sort()).toEqual([
      'resource.customizations.actions.rpsquest.dev_PromotionPolicy',
      'resource.customizations.actions.rpsquest.dev_RpsModel',
      'resource.customizations.health.rpsquest.dev_PromotionPolicy',
      'resource.customizations.health.rpsquest.dev_RpsModel',
    ]);
    expect(cm.data['resource.customizations.health.rpsquest.dev_RpsModel']).toBe(SCRIPTS.RpsModel);
    expect(cm.data['resource.customizations.health.rpsquest.dev_PromotionPolicy']).toBe(
      SCRIPTS.PromotionPolicy,
    );
  });

  it.each([
    ['RpsModel', 'rpsmodel'],
    ['PromotionPolicy', 'promotionpolicy'],
  ])('carries the %s actions exactly as in config/argocd/actions', (kind, dir) => {
    const actions = load(cm.data[`resource.customizations.actions.rpsquest.dev_${kind}`]!) as {
      'discovery.lua': string;
      definitions: { name: string; 'action.lua': string }[];
    };
    const actionDir = path.join(repo, 'config/argocd/actions', dir);
    expect(actions['discovery.lua']).toBe(readFileSync(path.join(actionDir, 'discovery.lua'), 'utf8'));
    const files = readdirSync(actionDir)
      .filter((f) => f !== 'discovery.lua')
      .map((f) => f.replace(/\.lua$/, ''));
    expect(actions.definitions.map((d) => d.name).sort()).toEqual(files.sort());
    for (const d of actions.definitions) {
      expect(d['action.lua']).toBe(readFileSync(path.join(actionDir, `${d.name}.lua`), 'utf8'));
    }
  });
});

describe('RpsModel health', () => {
  it('is Healthy when Ready and not training, naming the Production version', () => {
    expect(health('RpsModel', rpsModel())).toEqual({ status: 'Healthy', message: 'Production v3 serves' });
  });

  it('is Progressing before the operator has written any status', () => {
    expect(health('RpsModel', rpsModel({ status: null })).status).toBe('Progressing');
  });

  it('is Progressing with "Waiting for the first version" while its status has no Ready condition yet', () => {
    expect(health('RpsModel', rpsModel({ status: { conditions: [] } }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for the first version',
    });
  });

  it('is Progressing while the operator has not observed the latest generation', () => {
    const h = health('RpsModel', rpsModel({ status: { observedGeneration: 1 } }));
    expect(h.status).toBe('Progressing');
    expect(h.message).toContain('generation 2');
  });

  it('is Progressing while a training Job runs', () => {
    const h = health(
      'RpsModel',
      rpsModel({
        status: {
          conditions: [
            cond('Ready', 'True', 'Serving'),
            cond('Training', 'True', 'JobRunning', 'training v4 (trainNow) in Job brian-train-v4'),
          ],
        },
      }),
    );
    expect(h).toEqual({
      status: 'Progressing',
      message: 'JobRunning: training v4 (trainNow) in Job brian-train-v4',
    });
  });

  it('is Progressing while the first version trains (Ready False, NoVersion)', () => {
    const h = health(
      'RpsModel',
      rpsModel({
        status: {
          aliases: {},
          conditions: [
            cond('Ready', 'False', 'NoVersion', 'no version yet: training v1'),
            cond('Training', 'True', 'JobRunning'),
          ],
        },
      }),
    );
    expect(h.status).toBe('Progressing');
  });

  it('is Progressing while the game server loads a new version (Ready False, NotServed)', () => {
    const h = health(
      'RpsModel',
      rpsModel({
        status: { conditions: [cond('Ready', 'False', 'NotServed', 'game server still serves v2')] },
      }),
    );
    expect(h).toEqual({ status: 'Progressing', message: 'NotServed: game server still serves v2' });
  });

  it('is Degraded when Ready is False with a failure reason, and says why', () => {
    for (const reason of ['TrainingFailed', 'PinnedVersionMissing', 'GameServerUnreachable']) {
      const h = health(
        'RpsModel',
        rpsModel({
          status: {
            conditions: [cond('Ready', 'False', reason, 'the detail'), cond('Training', 'False', 'Idle')],
          },
        }),
      );
      expect(h).toEqual({ status: 'Degraded', message: `${reason}: the detail` });
    }
  });

  it('is Degraded when retraining fails even though an older version still serves', () => {
    const h = health(
      'RpsModel',
      rpsModel({
        status: {
          conditions: [
            cond('Ready', 'True', 'Serving'),
            cond('Training', 'False', 'TrainingFailed', 'v4 failed 2 time(s), last: exit code 2'),
          ],
        },
      }),
    );
    expect(h).toEqual({
      status: 'Degraded',
      message: 'TrainingFailed: v4 failed 2 time(s), last: exit code 2',
    });
  });

  it('is Suspended when spec.training.suspend is true', () => {
    const h = health(
      'RpsModel',
      rpsModel({
        spec: { training: { suspend: true } },
        status: { conditions: [cond('Ready', 'True', 'Serving'), cond('Training', 'False', 'Suspended')] },
      }),
    );
    expect(h.status).toBe('Suspended');
    expect(h.message).toContain('spec.training.suspend');
  });

  it('reports a failure before a suspension', () => {
    const h = health(
      'RpsModel',
      rpsModel({
        spec: { training: { suspend: true } },
        status: { conditions: [cond('Ready', 'False', 'PinnedVersionMissing', 'v9 is not registered')] },
      }),
    );
    expect(h.status).toBe('Degraded');
  });
});

describe('PromotionPolicy health', () => {
  it('is Healthy when Ready, with the mode and the last decision', () => {
    expect(health('PromotionPolicy', promotionPolicy())).toEqual({
      status: 'Healthy',
      message: 'Automatic; last decision brian=Keep',
    });
  });

  it('is Progressing before the operator has written any status', () => {
    expect(health('PromotionPolicy', promotionPolicy({ status: null })).status).toBe('Progressing');
  });

  it('is Progressing with "Waiting for the first evaluation" while its status has no Ready condition yet', () => {
    expect(health('PromotionPolicy', promotionPolicy({ status: { conditions: [] } }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for the first evaluation',
    });
  });

  it('is Progressing while the operator has not observed the latest generation', () => {
    expect(health('PromotionPolicy', promotionPolicy({ status: { observedGeneration: 1 } })).status).toBe(
      'Progressing',
    );
  });

  it('is Degraded when Ready is False, and says why', () => {
    const h = health(
      'PromotionPolicy',
      promotionPolicy({
        status: {
          conditions: [cond('Ready', 'False', 'NoModelsSelected', 'the policy selects no RpsModel')],
        },
      }),
    );
    expect(h).toEqual({ status: 'Degraded', message: 'NoModelsSelected: the policy selects no RpsModel' });
  });

  it('is Suspended in Manual mode while a promotion awaits approval, naming the evaluation id', () => {
    const h = health(
      'PromotionPolicy',
      promotionPolicy({
        spec: { mode: 'Manual' },
        status: {
          models: [
            {
              model: 'brian',
              lastEvaluation: {
                id: 'brian/v3-v4/1700000000',
                decision: 'Promote',
                outcome: 'AwaitingApproval',
              },
            },
          ],
        },
      }),
    );
    expect(h.status).toBe('Suspended');
    expect(h.message).toContain('brian (brian/v3-v4/1700000000)');
  });

  it('is Healthy in Manual mode when nothing awaits approval', () => {
    const h = health('PromotionPolicy', promotionPolicy({ spec: { mode: 'Manual' } }));
    expect(h).toEqual({ status: 'Healthy', message: 'Manual; last decision brian=Keep' });
  });
});
