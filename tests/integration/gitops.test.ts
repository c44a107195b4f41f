import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersionStats } from '../../core/index.ts';
import { ARGOCD_NAMESPACE, initConfigRepo, startArgoCd, type ArgoCd } from '../../hack/harness/index.ts';
import {
  NAMESPACE,
  TOKEN,
  eventually,
  getModel,
  getPolicy,
  jobsOf,
  modelYaml,
  startOperatorEnv,
  withoutRandomLeafRule,
  type OperatorEnv,
} from './operator-fixtures.ts';

// A real Argo CD (hack/harness/argocd.ts) syncs the bots from a local git repository onto the
// harness's cluster, with the operator, the real trainer and the stand-in game server running: the
// Application in config/argocd as committed (only its repoURL points at the local repository),
// the health checks and resource actions of config/argocd/argocd-cm-patch.yaml run by Argo CD's own
// Lua runtime, and the actions through argocd-server with the argocd CLI.

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BOTS = 'rps-quest-bots';
const SYSTEM = 'rps-quest';

interface Application {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: {
    source: { repoURL: string; targetRevision: string; path: string };
    [key: string]: unknown;
  };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    resources?: {
      kind: string;
      name: string;
      status?: string;
      health?: { status?: string; message?: string };
    }[];
    history?: { revision: string }[];
    operationState?: { phase?: string; message?: string };
  };
}

let env: OperatorEnv;
let argocd: ArgoCd;
let git: (args: string[]) => Promise<string>;
let gitDir: string;

const fastModel = (name: string, algorithm: 'logistic' | 'gbdt', hyperparameters: string) =>
  modelYaml(name)
    .replace('algorithm: logistic', `algorithm: ${algorithm}`)
    .replace(
      'hyperparameters: { epochs: 3, batchSize: 256, patience: 1 }',
      `hyperparameters: ${hyperparameters}`,
    )
    .replace(`  namespace: ${NAMESPACE}\n`, '');

const POLICY = `apiVersion: rpsquest.dev/v1alpha1
kind: PromotionPolicy
metadata:
  name: default
spec:
  models: [brian, forrest, logan]
  interval: 1h
  mode: Manual
  test: { twoProportionZ: { alpha: 0.05, minGames: 50 } }
  newVersionAlias: B
`;

/** Writes files into the git repository and commits them; resolves with the new commit. */
async function commit(message: string, files: Record<string, string>): Promise<string> {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(gitDir, file)), { recursive: true });
    writeFileSync(path.join(gitDir, file), text);
  }
  await git(['add', '-A']);
  await git(['commit', '-q', '-m', message]);
  return (await git(['rev-parse', 'HEAD'])).trim();
}

async function application(name: string): Promise<Application> {
  return JSON.parse(
    await env.kubectl(['-n', ARGOCD_NAMESPACE, 'get', 'application', name, '-o', 'json']),
  ) as Application;
}

/** Asks Argo CD to read the repository now instead of at its next poll. */
async function refresh(name: string): Promise<void> {
  await env.kubectl([
    '-n',
    ARGOCD_NAMESPACE,
    'annotate',
    'application',
    name,
    'argocd.argoproj.io/refresh=normal',
    '--overwrite',
  ]);
}

function resourceHealth(app: Application, kind: string, name: string) {
  return app.status?.resources?.find((r) => r.kind === kind && r.name === name)?.health;
}

/** Polls the Application until `done`, recording every health (status: message) each model showed. */
async function watchHealth(
  name: string,
  models: string[],
  done: (app: Application) => boolean,
  timeoutMs = 150_000,
): Promise<{ app: Application; seen: Map<string, string[]> }> {
  const seen = new Map(models.map((m) => [m, [] as string[]]));
  const app = await eventually(
    `${name}: ${done.toString()}`,
    async () => {
      const a = await application(name);
      for (const m of models) {
        const h = resourceHealth(a, 'RpsModel', m);
        const entry = `${h?.status}: ${h?.message}`;
        // Missing: Argo CD has not created it yet
        if (h?.status && h.status !== 'Missing' && seen.get(m)!.at(-1) !== entry) seen.get(m)!.push(entry);
      }
      return done(a) ? a : undefined;
    },
    timeoutMs,
  );
  return { app, seen };
}

/** The Applications of config/argocd, as committed, pointed at the local repository. */
function committedApplication(name: string, url: string, sourcePath?: string): Application {
  const docs = loadAll(
    readFileSync(path.join(repo, 'config/argocd/application.yaml'), 'utf8'),
  ) as Application[];
  const app = structuredClone(docs.find((d) => d.metadata.name === name)!);
  app.spec.source.repoURL = url;
  if (sourcePath) app.spec.source.path = sourcePath;
  return app;
}

async function action(name: string, kind: string, resource: string): Promise<void> {
  await argocd.cli([
    'app',
    'actions',
    'run',
    BOTS,
    name,
    '--kind',
    kind,
    '--resource-name',
    resource,
    '--namespace',
    NAMESPACE,
  ]);
}

const healthy = (app: Application) =>
  app.status?.sync?.status === 'Synced' &&
  app.status?.health?.status === 'Healthy' &&
  (app.status.resources ?? []).every((r) => r.health?.status === 'Healthy');

beforeAll(async () => {
  env = await startOperatorEnv();
  await env.startOperator();
  argocd = await startArgoCd({ kubeconfigPath: env.cp.kubeconfigPath, dir: path.join(env.dir, 'argocd') });
  gitDir = path.join(env.dir, 'git');
  const created = await initConfigRepo(gitDir);
  git = created.git;
  // small, fast bots in place of the samples (their algorithms as in config/samples' spirit)
  await commit('Small bots for the tests', {
    'config/samples/rpsmodel-brian.yaml': fastModel(
      'brian',
      'logistic',
      '{ epochs: 3, batchSize: 256, patience: 1 }',
    ),
    'config/samples/rpsmodel-forrest.yaml': fastModel('forrest', 'gbdt', '{ trees: 5, depth: 2 }'),
    'config/samples/rpsmodel-logan.yaml': fastModel(
      'logan',
      'logistic',
      '{ epochs: 2, batchSize: 256, patience: 1 }',
    ),
    'config/samples/promotionpolicy-default.yaml': POLICY,
  });
  await env.kubectl(['apply', '-f', '-'], dump(committedApplication(BOTS, created.url)));
}, 300_000);

afterAll(async () => {
  await env
    ?.kubectl(['-n', ARGOCD_NAMESPACE, 'delete', 'applications', '--all', '--wait=false'])
    .catch(() => '');
  await argocd?.stop();
  await env?.stop();
});

describe('Argo CD syncs the bots from git', () => {
  it('syncs the commit; each RpsModel goes Progressing → Healthy as it trains and serves; the Application is Healthy', async () => {
    const head = (await git(['rev-parse', 'HEAD'])).trim();
    const { app, seen } = await watchHealth(BOTS, ['brian', 'forrest', 'logan'], healthy);
    expect(app.status?.sync?.revision).toBe(head);
    for (const m of ['brian', 'forrest', 'logan']) {
      const health = seen.get(m)!;
      expect(health[0], `${m}: ${health.join(' | ')}`).toMatch(/^Progressing: /);
      expect(health.at(-1)).toBe('Healthy: Production v1 serves');
    }
    expect(resourceHealth(app, 'PromotionPolicy', 'default')).toEqual({
      status: 'Healthy',
      message: 'Manual; last decision brian=NoChallenger, forrest=NoChallenger, logan=NoChallenger',
    });
  });

  it('a hyperparameter commit: Progressing while the new version trains, Healthy once it serves', async () => {
    const revision = await commit('logan: three epochs', {
      'config/samples/rpsmodel-logan.yaml': fastModel(
        'logan',
        'logistic',
        '{ epochs: 3, batchSize: 256, patience: 1 }',
      ),
    });
    await refresh(BOTS);
    const { seen } = await watchHealth(
      BOTS,
      ['logan'],
      (a) => a.status?.sync?.revision === revision && healthy(a) && seen2(a),
    );
    function seen2(a: Application) {
      return resourceHealth(a, 'RpsModel', 'logan')?.message === 'Production v1 serves';
    }
    expect(seen.get('logan')!.some((h) => h.startsWith('Progressing: '))).toBe(true);
    const logan = await getModel(env, 'logan');
    expect(logan.status?.latestVersion).toBe('v2');
    expect(logan.status?.aliases).toMatchObject({ Production: 'v1', B: 'v2' });
  });

  it('a spec the trainer refuses is Degraded with the operator message; the fixing commit heals it', async () => {
    // today's CRD refuses this random search (its largest draw is over the leaf limit); it is synced
    // while the CRD lacks that rule, as one from before the rule would have taken it
    let refused = '';
    await withoutRandomLeafRule(env, async () => {
      if (!refused) {
        refused = await commit('forrest: a random search that draws too large a set', {
          'config/samples/rpsmodel-forrest.yaml': fastModel(
            'forrest',
            'gbdt',
            '{ trees: 20, depth: 3 }',
          ).replace(
            '\nspec:\n',
            '\nspec:\n  search: { random: { budget: 1, ranges: { trees: { values: [1000] }, depth: { values: [12] } } } }\n',
          ),
        });
        await refresh(BOTS);
      }
      if (!(await getModel(env, 'forrest')).spec.search) throw new Error('not synced yet');
    });
    const { app } = await watchHealth(
      BOTS,
      ['forrest'],
      (a) =>
        a.status?.sync?.revision === refused &&
        resourceHealth(a, 'RpsModel', 'forrest')?.status === 'Degraded',
    );
    expect(resourceHealth(app, 'RpsModel', 'forrest')?.message).toMatch(
      /^TrainingFailed: training v2 failed .*trees=1000 and depth=12 allow 4,096,000 leaves per class/,
    );
    await eventually('the Application reads Degraded', async () => {
      return (await application(BOTS)).status?.health?.status === 'Degraded';
    });
    const fixed = await commit('forrest: ten trees', {
      'config/samples/rpsmodel-forrest.yaml': fastModel('forrest', 'gbdt', '{ trees: 10, depth: 2 }'),
    });
    await refresh(BOTS);
    await watchHealth(BOTS, ['forrest'], (a) => a.status?.sync?.revision === fixed && healthy(a));
    const forrest = await getModel(env, 'forrest');
    expect(forrest.status?.versions?.map((v) => v.name)).toEqual(['v1', 'v2']);
  });

  it('self-heal reverts a hand edit of a spec and leaves the status the operator writes alone', async () => {
    const before = await getModel(env, 'brian');
    await env.kubectl([
      '-n',
      NAMESPACE,
      'patch',
      'rpsm',
      'brian',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { displayName: 'Edited by hand' } }),
    ]);
    const after = await eventually('self-heal puts the spec back', async () => {
      const m = await getModel(env, 'brian');
      return m.spec.displayName === 'Brian' && m.metadata.generation > before.metadata.generation + 1
        ? m
        : undefined;
    });
    // the operator observed both generations; its versions and aliases stay as they were
    const observed = await eventually('the operator observes the revert', async () => {
      const m = await getModel(env, 'brian');
      return m.status?.observedGeneration === after.metadata.generation ? m : undefined;
    });
    expect(observed.status?.versions).toEqual(before.status?.versions);
    expect(observed.status?.aliases).toEqual(before.status?.aliases);
    expect(await jobsOf(env, 'brian')).toHaveLength(1);
  });

  it('stays Synced for a minute while the operator reconciles and trains (no sync loop)', async () => {
    const start = await application(BOTS);
    const syncs = start.status?.history?.length ?? 0;
    // a training run through the train-now action: status writes, a Job, a new version
    await action('train-now', 'RpsModel', 'brian');
    const until = Date.now() + 60_000;
    const statuses = new Set<string>();
    while (Date.now() < until) {
      const a = await application(BOTS);
      statuses.add(a.status?.sync?.status ?? '');
      expect(a.status?.history?.length ?? 0).toBe(syncs);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect([...statuses]).toEqual(['Synced']);
    const brian = await getModel(env, 'brian');
    expect(brian.status?.versions?.map((v) => [v.name, v.trigger])).toEqual([
      ['v1', 'created'],
      ['v2', 'trainNow'],
    ]);
  });
});

describe('resource actions through argocd-server', () => {
  it('suspend and resume training', async () => {
    await action('suspend-training', 'RpsModel', 'logan');
    expect((await getModel(env, 'logan')).spec.training?.suspend).toBe(true);
    await eventually('Suspended in Argo CD', async () => {
      return resourceHealth(await application(BOTS), 'RpsModel', 'logan')?.status === 'Suspended';
    });
    // a suspended model offers resume but not train-now
    const listed = await argocd.cli([
      'app',
      'actions',
      'list',
      BOTS,
      '--kind',
      'RpsModel',
      '--resource-name',
      'logan',
      '--namespace',
      NAMESPACE,
    ]);
    expect(listed).toMatch(/resume-training\s+false/);
    expect(listed).toMatch(/train-now\s+true/);
    await action('resume-training', 'RpsModel', 'logan');
    expect((await getModel(env, 'logan')).spec.training?.suspend).toBe(false);
    await eventually('Healthy again', async () => {
      return resourceHealth(await application(BOTS), 'RpsModel', 'logan')?.status === 'Healthy';
    });
  });

  it('reject B pins B to Production; unpin B hands it back to the ranking', async () => {
    await action('reject-b', 'RpsModel', 'logan');
    expect((await getModel(env, 'logan')).spec.aliases).toEqual({ B: 'v1' });
    await eventually('B serves v1', async () => (await getModel(env, 'logan')).status?.aliases?.B === 'v1');
    await action('unpin-b', 'RpsModel', 'logan');
    expect((await getModel(env, 'logan')).spec.aliases).toBeUndefined();
  });

  it('evaluate now and approve: a Manual promotion awaits approval, the action approves it, B becomes Production', async () => {
    const stat = (version: string, botWins: number): VersionStats => ({
      model: 'forrest',
      version,
      games: 100,
      botWins,
      botLosses: 100 - botWins,
      ties: 0,
      predictions: 400,
      correct: 150,
    });
    env.game.stats.set('forrest', [stat('v1', 40), stat('v2', 70)]);
    await action('evaluate-now', 'PromotionPolicy', 'default');
    const waiting = await eventually('a promotion awaits approval', async () => {
      const p = await getPolicy(env, 'default');
      const ev = p.status?.models?.find((m) => m.model === 'forrest')?.lastEvaluation;
      return ev?.outcome === 'AwaitingApproval' ? { p, ev } : undefined;
    });
    expect(waiting.p.status?.lastEvaluateNow).toBe(
      waiting.p.metadata.annotations?.['rpsquest.dev/evaluate-now'],
    );
    await eventually('Suspended in Argo CD', async () => {
      const h = resourceHealth(await application(BOTS), 'PromotionPolicy', 'default');
      return h?.status === 'Suspended' && h.message?.includes(waiting.ev.id);
    });
    await action('approve', 'PromotionPolicy', 'default');
    expect((await getPolicy(env, 'default')).spec.approve).toEqual([waiting.ev.id]);
    await eventually('v2 is Production', async () => {
      return (await getModel(env, 'forrest')).status?.aliases?.Production === 'v2';
    });
    // the approval is not in git, and self-heal leaves it: Git does not set spec.approve
    const app = await application(BOTS);
    expect(app.status?.sync?.status).toBe('Synced');
  });
});

describe('GitOps-safe manifests: the system Application', () => {
  beforeAll(async () => {
    // the Secrets and CRDs of config/default, synced by the rps-quest Application as committed
    await commit('system: the CRDs and the Secrets', {
      'system/kustomization.yaml': dump({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: NAMESPACE,
        resources: ['../config/crd', 'internal-token.yaml', 's3-secret.yaml'],
      }),
      'system/internal-token.yaml': readFileSync(
        path.join(repo, 'config/default/internal-token.yaml'),
        'utf8',
      ),
      'system/s3-secret.yaml': readFileSync(path.join(repo, 'config/minio/secret.yaml'), 'utf8'),
    });
    await env.kubectl(['apply', '-f', '-'], dump(committedApplication(SYSTEM, `file://${gitDir}`, 'system')));
  });

  const secretValue = async (name: string, key: string) =>
    Buffer.from(
      JSON.parse(await env.kubectl(['-n', NAMESPACE, 'get', 'secret', name, '-o', 'json'])).data[
        key
      ] as string,
      'base64',
    ).toString();

  it('keeps the Secret values set in the cluster through self-heal and a sync', async () => {
    // the cluster's values (the harness's) differ from the committed placeholders
    await eventually('Synced and Healthy', async () => {
      const a = await application(SYSTEM);
      return a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
    });
    expect(await secretValue('rps-quest-internal', 'token')).toBe(TOKEN);
    await argocd.cli(['app', 'sync', SYSTEM, '--timeout', '120']);
    expect(await secretValue('rps-quest-internal', 'token')).toBe(TOKEN);
    expect(await secretValue('rps-quest-s3-minter', 'accessKey')).toBe(env.minio.users.minter.accessKey);
    expect(await secretValue('rps-quest-s3-minter', 'secretKey')).toBe(env.minio.users.minter.secretKey);
  });

  it('a pruning sync does not delete the CRDs', async () => {
    const removed = await commit('system: without the CRDs', {
      'system/kustomization.yaml': dump({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: NAMESPACE,
        resources: ['internal-token.yaml', 's3-secret.yaml'],
      }),
    });
    await refresh(SYSTEM);
    // the automated sync (prune: true) of the new commit, then one asked for with --prune
    await eventually('the commit synced', async () => {
      const a = await application(SYSTEM);
      return a.status?.sync?.revision === removed && a.status.operationState?.phase === 'Succeeded';
    });
    await eventually('a sync with --prune', () =>
      argocd.cli(['app', 'sync', SYSTEM, '--prune', '--timeout', '120']),
    );
    // still there and not being deleted (a CRD being deleted waits for its objects' finalizers)
    for (const crd of ['rpsmodels.rpsquest.dev', 'promotionpolicies.rpsquest.dev']) {
      const live = JSON.parse(await env.kubectl(['get', 'crd', crd, '-o', 'json'])) as {
        metadata: { deletionTimestamp?: string };
      };
      expect(live.metadata.deletionTimestamp, crd).toBeUndefined();
    }
    expect((await getModel(env, 'brian')).status?.aliases?.Production).toBe('v1');
  });
});
