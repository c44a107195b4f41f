// `kubectl rpsq`, run as the executable kubectl finds on PATH, against the real API server, the
// operator, the real trainer in Jobs and the real game server. The promotion recipe is the one of
// operator-promotion-app.test.ts: v1 learns Hal, v2 learns Cal, Cal then plays both, so B wins.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../app/simulate.ts';
import { binary } from '../../hack/harness/index.ts';
import type { RpsModel } from '../../operator/resources.ts';
import { Cluster, loadKubeConfig } from '../../plugin/cluster.ts';
import { COMMANDS, CONFLICT_ATTEMPTS } from '../../plugin/commands.ts';
import { ConflictError } from '../../plugin/plugin-error.ts';
import type { Manager } from '../../operator/manager.ts';
import {
  NAMESPACE,
  apply,
  condition,
  eventually,
  getModel,
  getPolicy,
  CAL_GAMES,
  halThenCalModelYaml,
  startOperatorEnv,
  startRealGameServer,
  type OperatorEnv,
  type RealGameServer,
} from './operator-fixtures.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
const WINDOW = 300;

let env: OperatorEnv;
let game: RealGameServer;
let operator: Manager;

beforeAll(async () => {
  env = await startOperatorEnv({ podLogs: true });
  game = await startRealGameServer(env);
  operator = await env.startOperator({ gameUrl: game.url });
});

afterAll(async () => {
  await operator?.stop();
  await game?.stop();
  await env?.stop();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kubectl rpsq <args>` through kubectl's plugin lookup (PATH holds bin/kubectl-rpsq). */
async function rpsq(args: string[], envVars: Record<string, string> = {}): Promise<Result> {
  const vars = {
    PATH: `${path.join(repo, 'bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: env.dir,
    KUBECONFIG: env.cp.kubeconfigPath,
    ...envVars,
  };
  try {
    const { stdout, stderr } = await run(binary('kubectl'), ['rpsq', ...args], {
      env: vars,
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Asserts success and returns stdout. */
async function ok(args: string[], envVars?: Record<string, string>): Promise<string> {
  const r = await rpsq(args, envVars);
  expect(r.stderr, `kubectl rpsq ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Asserts a failure with a message and returns it. */
async function fails(args: string[], envVars?: Record<string, string>): Promise<string> {
  const r = await rpsq(args, envVars);
  expect(r.code, `kubectl rpsq ${args.join(' ')}: ${r.stdout}`).not.toBe(0);
  expect(r.stderr).toMatch(/^error: /);
  return r.stderr;
}

const ns = ['-n', NAMESPACE];

const POLICY = `apiVersion: rpsquest.dev/v1alpha1
kind: PromotionPolicy
metadata:
  name: default
  namespace: ${NAMESPACE}
spec:
  models: [brian]
  interval: 168h
  mode: Manual
  includeSyntheticPlayers: true
  newVersionAlias: B
  test:
    twoProportionZ: { alpha: 0.01, minGames: 10 }
`;

const MODEL = halThenCalModelYaml(WINDOW);

describe('kubectl rpsq', () => {
  it('finds the kubeconfig and the namespace as kubectl does, and says what is missing', async () => {
    expect(await fails(['status'], { KUBECONFIG: '' })).toContain(
      'no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config',
    );
    expect(await fails(['status', '--kubeconfig', '/nonexistent'])).toContain(
      'kubeconfig /nonexistent (--kubeconfig) does not exist',
    );
    expect(await fails(['status', '--context', 'nope'])).toContain('context "nope" is not in the kubeconfig');
    expect(await ok(['status', ...ns])).toBe(`no RpsModels or PromotionPolicies in namespace ${NAMESPACE}\n`);
    // the context's namespace when -n is absent (the harness's context names rps-quest)
    expect(await ok(['status'])).toContain(`namespace ${NAMESPACE}`);
    const elsewhere = path.join(env.dir, 'kubeconfig-elsewhere');
    writeFileSync(elsewhere, await env.kubectl(['config', 'view', '--raw', '--minify']));
    await run(binary('kubectl'), [
      '--kubeconfig',
      elsewhere,
      'config',
      'set-context',
      '--current',
      '--namespace=elsewhere',
    ]);
    expect(await fails(['history', 'brian'], { KUBECONFIG: elsewhere })).toContain(
      'RpsModel "brian" not found in namespace "elsewhere" (it has none; -n picks another namespace)',
    );
    expect(await ok(['status', '-n', NAMESPACE], { KUBECONFIG: elsewhere })).toContain(
      `namespace ${NAMESPACE}`,
    );
    // --kubeconfig wins over KUBECONFIG, and the files of KUBECONFIG that do not exist are skipped
    expect(await ok(['status', '--kubeconfig', env.cp.kubeconfigPath], { KUBECONFIG: elsewhere })).toContain(
      `namespace ${NAMESPACE}`,
    );
    expect(await ok(['status'], { KUBECONFIG: `/nonexistent:${env.cp.kubeconfigPath}` })).toContain(
      `namespace ${NAMESPACE}`,
    );
    expect(await ok(['status', '-A'])).toBe('no RpsModels or PromotionPolicies in any namespace\n');
    expect(await fails(['history', 'brian', '--all-namespaces'])).toContain(
      '-A (--all-namespaces) lists: it applies to status, not to history (use -n <namespace>)',
    );
    expect(await fails(['frobnicate'])).toContain('unknown command "frobnicate"');
    expect(await fails(['pin', 'brian'])).toContain('expected <model> <alias> [version], got "brian"');
  });

  it('trains, evaluates, approves, rejects, pins and unpins, and shows history and logs', async () => {
    await game.play('brian', 'Hal', WINDOW, 1);
    await apply(env, POLICY);
    await apply(env, MODEL);
    await eventually('v1 served', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === 'v1' && condition(m, 'Served')?.status === 'True';
    });
    expect(await fails(['train', 'nobody', ...ns])).toContain(
      `RpsModel "nobody" not found in namespace "${NAMESPACE}" (there: brian;`,
    );
    expect(await fails(['approve', 'brian', ...ns])).toContain('no evaluation of brian awaits approval');
    expect(await fails(['reject', 'brian', ...ns])).toContain('rpsmodel/brian has no challenger to reject');

    // train --wait follows exactly the run started for its request
    await game.play('brian', 'Cal', WINDOW, 100);
    const trained = await ok(['train', 'brian', '--wait', ...ns]);
    expect(trained).toMatch(/^rpsmodel\/brian: training requested \(rpsquest\.dev\/train-now=\S+\)$/m);
    expect(trained).toContain('rpsmodel/brian: training v2 in Job brian-train-v2');
    expect(trained).toMatch(
      /rpsmodel\/brian: v2 registered, held-out accuracy [01]\.\d{3}; aliases Production=v1 B=v2 Shadow1=v1 Shadow2=v1$/m,
    );
    await eventually('v2 served as B', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.B === 'v2' && condition(m, 'Served')?.status === 'True';
    });

    // v2 entering B moved the pair: the policy evaluates it at once, not at its weekly interval
    await eventually(
      'the new pair evaluated',
      async () => (await getPolicy(env, 'default')).status?.lastDecision === 'brian=InsufficientData',
    );
    const status = await ok(['status', ...ns]);
    expect(status.split('\n')[0]).toMatch(
      /^KIND\s+NAME\s+READY\s+PRODUCTION\s+B\s+SHADOWS\s+LATEST\s+ACCURACY\s+STATE$/,
    );
    expect(status).toMatch(/^RpsModel\s+brian\s+True\s+v1\s+v2\s+\S+\s+v2\s+[01]\.\d{3}\s+Idle$/m);
    expect(status).toMatch(
      /^PromotionPolicy\s+default\s+True\s+-\s+-\s+-\s+-\s+-\s+Manual: brian=InsufficientData/m,
    );

    // Cal plays both; the policy's interval is a week, so only evaluate-now decides
    await simulate({ url: game.url, games: CAL_GAMES, bots: ['brian'], players: ['Cal'], seed: 500 });
    const evaluated = await ok(['evaluate', 'default', ...ns]);
    expect(evaluated).toMatch(
      /^promotionpolicy\/default: evaluation requested \(rpsquest\.dev\/evaluate-now=\S+\)$/m,
    );
    // the decision it waited for, with the evaluation id approve names
    const decided = /^brian: Promote \(AwaitingApproval\) — .* \[evaluation (\S+)\]$/m;
    expect(evaluated).toMatch(decided);
    const id = decided.exec(evaluated)![1]!;
    expect(await fails(['evaluate', 'nopolicy', ...ns])).toContain(
      `PromotionPolicy "nopolicy" not found in namespace "${NAMESPACE}" (there: default;`,
    );

    expect(await ok(['approve', 'brian', ...ns])).toBe(
      `promotionpolicy/default: approved evaluation ${id}: brian's B v2 becomes Production (was v1)\n`,
    );
    await eventually(
      'v2 promoted',
      async () => (await getModel(env, 'brian')).status?.aliases?.Production === 'v2',
    );
    expect(await fails(['approve', 'brian', ...ns])).toContain(
      `last decided Promote (Applied, evaluation ${id})`,
    );

    // reject: B (now v1) goes back to Production's version
    expect(await ok(['reject', 'brian', ...ns])).toContain(
      "rpsmodel/brian: B pinned to Production's v2: v1 gets no more games",
    );
    await eventually(
      'B follows the pin',
      async () => (await getModel(env, 'brian')).status?.aliases?.B === 'v2',
    );
    expect(await ok(['unpin', 'brian', 'B', ...ns])).toContain(
      'rpsmodel/brian: B unpinned (was pinned to v2)',
    );
    expect(await fails(['unpin', 'brian', 'B', ...ns])).toContain(
      'rpsmodel/brian has no pin on B (pins: none)',
    );

    expect(await fails(['pin', 'brian', 'Gold', 'v1', ...ns])).toContain(
      '"Gold" is not an alias: use one of Production, B, Shadow1, Shadow2',
    );
    expect(await fails(['pin', 'brian', 'Production', 'v9', ...ns])).toContain(
      'rpsmodel/brian has no version "v9" (registered: v1, v2)',
    );
    expect(await ok(['pin', 'brian', 'production', 'v1', ...ns])).toBe(
      'rpsmodel/brian: Production pinned to v1 (was v2)\n',
    );
    const pinned = await eventually('Production follows the pin', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.aliases?.Production === 'v1' ? m : undefined;
    });
    expect(pinned.spec.aliases).toEqual({ Production: 'v1' });

    const history = await ok(['history', 'brian', ...ns]);
    expect(history).toMatch(/^v1\s+\S+\s+created\s+0\.\d{3}\s+rps-features\/v1\s+Production \(pinned\)/m);
    expect(history).toMatch(/^v2\s+\S+\s+trainNow\s+/m);
    expect(history).toMatch(/^\S+\s+Production\s+v1\s+v2\s+Promoted\s+/m);
    expect(history).toMatch(/^\S+\s+Production\s+v2\s+v1\s+Pinned\s+/m);

    const logs = await ok(['logs', 'brian', ...ns]);
    expect(logs).toMatch(/^# Job brian-train-v2, pod brian-train-v2-\S+ \(Succeeded\)$/m);
    expect(logs).toContain('reading events from the game server');
  });

  it('status -A lists the models and policies of every namespace, with a NAMESPACE column', async () => {
    await env.kubectl(['create', 'namespace', 'plugin-team']);
    await env.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: rpsquest.dev/v1alpha1
kind: RpsModel
metadata:
  name: forrest
  namespace: plugin-team
spec:
  displayName: Forrest
  algorithm: gbdt
  training:
    suspend: true
`,
    );
    const all = await ok(['status', '--all-namespaces', ...ns]); // -A wins over -n, as in kubectl
    const lines = all.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NAMESPACE\s+KIND\s+NAME\s+READY\s+PRODUCTION\s+B\s+SHADOWS\s+LATEST\s+ACCURACY\s+STATE$/,
    );
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'plugin-team RpsModel forrest',
      `${NAMESPACE} RpsModel brian`,
      `${NAMESPACE} PromotionPolicy default`,
    ]);
    expect(await ok(['status', '-A'])).toBe(all);
    // without -A, the namespace alone
    expect(await ok(['status', '-n', 'plugin-team'])).toMatch(/^RpsModel\s+forrest\s/m);
    expect(await ok(['status', '-n', 'plugin-team'])).not.toContain('brian');
  });
  it('reads again and decides again when the model changes between its read and its patch', async () => {
    // forrest (plugin-team, suspended) from the test before; a pin on B to unpin
    await env.kubectl([
      'patch',
      'rpsmodel',
      'forrest',
      '-n',
      'plugin-team',
      '--type=merge',
      '-p',
      '{"spec":{"aliases":{"B":"v1"}}}',
    ]);
    /** a Cluster whose first `racingReads` model reads are each followed by a real write to the model */
    function racing(racingReads: number) {
      const cluster = new Cluster(loadKubeConfig({ kubeconfig: env.cp.kubeconfigPath }), 'plugin-team');
      const read = cluster.getModel;
      const counter = { reads: 0 };
      cluster.getModel = async (name: string): Promise<RpsModel> => {
        const model = await read(name);
        if (++counter.reads <= racingReads) {
          await env.kubectl([
            'annotate',
            '--overwrite',
            '-n',
            'plugin-team',
            'rpsmodel',
            name,
            `race=${counter.reads}`,
          ]);
        }
        return model;
      };
      return { cluster, counter };
    }
    const out: string[] = [];
    const command = (cluster: Cluster, args: string[]) =>
      COMMANDS.unpin!({ cluster, args, wait: false, timeoutMs: 5000, out: (l) => out.push(l) });

    // every read raced: the API server refuses each patch, and the command says so after its attempts
    const hopeless = racing(Infinity);
    const refused = await command(hopeless.cluster, ['forrest', 'B']).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toMatch(
      /^unpin B of RpsModel forrest: Operation cannot be fulfilled on rpsmodels\.rpsquest\.dev "forrest": the object has been modified/,
    );
    expect(hopeless.counter.reads).toBe(CONFLICT_ATTEMPTS);
    expect(out).toEqual([]);

    // two reads raced: the third read's patch lands, and the writes made meanwhile stay
    const twice = racing(2);
    await command(twice.cluster, ['forrest', 'B']);
    expect(twice.counter.reads).toBe(3);
    expect(out).toEqual([
      'rpsmodel/forrest: B unpinned (was pinned to v1); training and promotion move it again',
    ]);
    const after = JSON.parse(
      await env.kubectl(['get', 'rpsmodel', 'forrest', '-n', 'plugin-team', '-o', 'json']),
    ) as RpsModel;
    expect(after.spec.aliases?.B).toBeUndefined();
    expect(after.metadata.annotations?.race).toBe('2');
  });
});
