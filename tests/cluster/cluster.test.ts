// The real manifests on a real node (`make cluster`: containerd, kubelet, kube-proxy, CoreDNS, the
// image built from the Dockerfile): workloads Ready under Pod Security `restricted`, RBAC as the
// operator's ServiceAccount, a browser game through the Service, train-now through a Job pod and
// the kubelet's ConfigMap update, and pods deleted or restarted in the middle of things.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alias, ModelsReply, MoveReply, StartGameReply } from '../../core/index.ts';
import { binary } from '../../hack/harness/index.ts';
import { launchChromium } from '../support/browser.ts';
import { NS, cluster, condition, json, kjson, kubectl, model, post, repo, until } from './cluster-env.ts';

const RESULTS = path.join(repo, 'test-results');
const { gameUrl, kubeconfig } = cluster();

interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  spec: {
    automountServiceAccountToken?: boolean;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
    containers: { image: string; resources?: { limits?: Record<string, string> } }[];
  };
  status: { phase: string; containerStatuses?: { restartCount: number; ready: boolean; imageID: string }[] };
}
/** the parts of a move's reply a game played to its end reads */
type MoveProgress = Pick<MoveReply, 'round' | 'finished' | 'nextRound'>;

const pods = (selector: string) => kjson<{ items: Pod[] }>('get', 'pods', '-l', selector).items;
const gamePod = () => pods('app.kubernetes.io/component=game').find((p) => p.status.phase === 'Running');
const versions = (name: string) => (model(name).status?.versions ?? []).map((v) => v.name);
const served = async (bot: string, version: string) => {
  const reply = await json<ModelsReply>(`${gameUrl}/api/v1/models`);
  const m = reply.models.find((x) => x.model === bot);
  return Object.values(m?.aliases ?? {}).some((a) => a?.version === version && a.loaded) ? true : undefined;
};
const trainNow = (bot: string) =>
  kubectl('annotate', 'rpsm', bot, `rpsquest.dev/train-now=${Date.now()}`, '--overwrite');

async function playToEnd(gameId: string, from: number): Promise<MoveProgress> {
  let reply: MoveProgress = { round: from - 1, finished: false, nextRound: from };
  for (let i = 0; i < 200 && !reply.finished; i++) {
    reply = await post<MoveReply>(`${gameUrl}/api/v1/games/${gameId}/moves`, {
      round: reply.nextRound,
      move: ['rock', 'paper', 'scissors'][i % 3],
    });
  }
  return reply;
}

describe('the workloads', () => {
  it('are all Ready: the operator, the game server, MinIO, and the bucket Job completed', () => {
    for (const d of ['rps-quest-game', 'rps-quest-operator']) {
      const dep = kjson<{ status: { availableReplicas?: number } }>('get', 'deployment', d);
      expect(dep.status.availableReplicas, d).toBe(1);
    }
    const sts = kjson<{ status: { readyReplicas?: number } }>('get', 'statefulset', 'rps-quest-minio');
    expect(sts.status.readyReplicas).toBe(1);
    const job = kjson<{ status: { succeeded?: number } }>('get', 'job', 'rps-quest-minio-bucket');
    expect(job.status.succeeded).toBe(1);
    for (const m of ['brian', 'forrest', 'logan'])
      expect(condition(model(m), 'Ready')?.status, m).toBe('True');
  });

  it('run in a namespace that enforces Pod Security restricted, which refuses a privileged pod', () => {
    const ns = JSON.parse(
      execFileSync(binary('kubectl'), ['--kubeconfig', kubeconfig, 'get', 'namespace', NS, '-o', 'json'], {
        encoding: 'utf8',
      }),
    ) as { metadata: { labels: Record<string, string> } };
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const privileged = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'privileged', namespace: NS },
      spec: { containers: [{ name: 'c', image: 'rps-quest:dev', securityContext: { privileged: true } }] },
    });
    let refused = '';
    try {
      execFileSync(binary('kubectl'), ['--kubeconfig', kubeconfig, 'apply', '--dry-run=server', '-f', '-'], {
        input: privileged,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      refused = String((err as { stderr?: string }).stderr);
    }
    expect(refused).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  it('give the operator exactly the API access it needs', () => {
    // `<resource>/<subresource>` is asked with --subresource
    const can = (verb: string, resource: string, ns = NS) => {
      const [res, sub] = resource.split('/');
      const args = [
        'auth',
        'can-i',
        verb,
        res!,
        '-n',
        ns,
        `--as=system:serviceaccount:${NS}:rps-quest-operator`,
      ];
      if (sub) args.push(`--subresource=${sub}`);
      try {
        return execFileSync(binary('kubectl'), ['--kubeconfig', kubeconfig, ...args], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }).trim();
      } catch (err) {
        return String((err as { stdout?: string }).stdout).trim();
      }
    };
    const allowed = [
      ['watch', 'rpsmodels.rpsquest.dev'],
      ['patch', 'rpsmodels.rpsquest.dev'],
      ['update', 'rpsmodels.rpsquest.dev/status'],
      ['patch', 'promotionpolicies.rpsquest.dev/status'],
      ['update', 'rpsmodels.rpsquest.dev/finalizers'],
      ['create', 'jobs.batch'],
      ['patch', 'jobs.batch'],
      ['delete', 'jobs.batch'],
      ['create', 'secrets'],
      ['create', 'secrets', 'default'],
      ['get', 'pods'],
      ['patch', 'configmaps'],
      ['create', 'events'],
      ['update', 'leases.coordination.k8s.io'],
      ['create', 'jobs.batch', 'default'],
      ['watch', 'rpsmodels.rpsquest.dev', 'default'],
    ];
    const refused = [
      ['get', 'secrets'],
      ['list', 'secrets'],
      ['watch', 'secrets'],
      ['update', 'secrets'],
      ['patch', 'secrets'],
      ['delete', 'secrets'],
      ['update', 'rpsmodels.rpsquest.dev'],
      ['patch', 'promotionpolicies.rpsquest.dev'],
      ['create', 'pods'],
      ['delete', 'pods'],
      ['get', 'pods/log'],
      ['patch', 'deployments.apps'],
      ['delete', 'configmaps'],
      ['delete', 'leases.coordination.k8s.io'],
      ['update', 'leases.coordination.k8s.io', 'default'],
      ['get', 'secrets', 'default'],
      ['list', 'nodes'],
    ];
    for (const [verb, resource, ns] of allowed)
      expect(can(verb!, resource!, ns), `${verb} ${resource}`).toBe('yes');
    for (const [verb, resource, ns] of refused)
      expect(can(verb!, resource!, ns), `${verb} ${resource}`).toBe('no');
  });
});

describe('the game through its Service', () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it('plays a whole game against a bot in Chromium', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(gameUrl);
    await page.locator('.bot-card', { hasText: 'Forrest' }).click();
    await expect.poll(() => page.locator('#play').isVisible()).toBe(true);
    for (let i = 0; i < 200 && !(await page.locator('#end').isVisible()); i++) {
      const round = await page.locator('#round-label').textContent();
      await page.locator(`.move[data-move="${['rock', 'paper', 'scissors'][(i * 7) % 3]}"]`).click();
      await page.waitForFunction(
        (before) =>
          !document.getElementById('end')!.hidden ||
          document.getElementById('round-label')!.textContent !== before,
        round,
      );
    }
    expect(await page.locator('#end-version').textContent()).toMatch(
      /^Forrest played model version v\d+ \((Production|B)\)$/,
    );
    await page.screenshot({ path: path.join(RESULTS, 'cluster-forrest-end.png') });
    await page.close();
  });
});

describe('train-now on the real node', () => {
  it('runs a Job pod from the image; the version registers, the mounted ConfigMap updates and the pod hot-swaps', async () => {
    const before = gamePod()!;
    const known = versions('logan');
    const started = Date.now();
    trainNow('logan');
    const version = await until('a new version of logan', () =>
      versions('logan').find((v) => !known.includes(v)),
    );
    const registeredMs = Date.now() - started;
    // the Job's pod ran the project's image, hardened for the restricted namespace
    const trainer = pods(`rpsquest.dev/model=logan,rpsquest.dev/version=${version}`)[0]!;
    expect(trainer.spec.containers[0]!.image).toBe('rps-quest:dev');
    expect(trainer.spec.automountServiceAccountToken).toBe(false);
    expect(trainer.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(trainer.spec.containers[0]!.resources?.limits?.memory).toBeTruthy();
    expect(trainer.status.phase).toBe('Succeeded');
    // the kubelet updates the mounted ConfigMap; the same pod loads the version, no restart
    await until('the game server pod to serve it', () => served('logan', version));
    const servedMs = Date.now() - started;
    const after = gamePod()!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status.containerStatuses![0]!.restartCount).toBe(
      before.status.containerStatuses![0]!.restartCount,
    );
    await until('Served=True', () =>
      condition(model('logan'), 'Served')?.status === 'True' ? true : undefined,
    );
    console.log(JSON.stringify({ trainNowRegisteredMs: registeredMs, trainNowServedMs: servedMs }));
  });
});

describe('pods deleted or restarted in the middle of things', () => {
  it('keeps every acknowledged move when the game server pod is deleted mid-game, and the game goes on', async () => {
    const game = await post<StartGameReply>(`${gameUrl}/api/v1/games`, { bot: 'brian' });
    let reply: MoveProgress = { round: 0, finished: false, nextRound: 1 };
    for (const move of ['rock', 'paper', 'scissors', 'rock']) {
      reply = await post<MoveReply>(`${gameUrl}/api/v1/games/${game.gameId}/moves`, {
        round: reply.nextRound,
        move,
      });
    }
    const old = gamePod()!;
    kubectl('delete', 'pod', old.metadata.name, '--wait=true');
    await until('a new game server pod serving', async () => {
      const p = gamePod();
      if (!p || p.metadata.uid === old.metadata.uid) return undefined;
      return (await fetch(`${gameUrl}/readyz`)).ok ? true : undefined;
    });
    const resumed = await json<{ round: number; finished: boolean; rounds: unknown[] }>(
      `${gameUrl}/api/v1/games/${game.gameId}`,
    );
    expect(resumed.rounds.length).toBe(4);
    expect(resumed.round).toBe(reply.nextRound);
    const end = await playToEnd(game.gameId, reply.nextRound!);
    expect(end.finished).toBe(true);
  });

  it('registers a version once, from one Job, when the operator pod is deleted while the Job runs', async () => {
    const known = versions('forrest');
    trainNow('forrest');
    const job = await until('a running training Job of forrest', () =>
      kjson<{
        items: { metadata: { name: string; labels: Record<string, string> }; status: { active?: number } }[];
      }>('get', 'jobs', '-l', 'rpsquest.dev/model=forrest').items.find(
        (j) => !known.includes(j.metadata.labels['rpsquest.dev/version']!) && j.status.active,
      ),
    );
    const version = job.metadata.labels['rpsquest.dev/version']!;
    const operator = pods('app.kubernetes.io/component=operator')[0]!;
    kubectl('delete', 'pod', operator.metadata.name, '--wait=false');
    await until(`${version} registered`, () => (versions('forrest').includes(version) ? true : undefined));
    await until('the new operator pod Ready', () =>
      pods('app.kubernetes.io/component=operator').some(
        (p) => p.metadata.uid !== operator.metadata.uid && p.status.containerStatuses?.[0]?.ready,
      )
        ? true
        : undefined,
    );
    await new Promise((r) => setTimeout(r, 5000));
    const jobs = kjson<{ items: unknown[] }>(
      'get',
      'jobs',
      '-l',
      `rpsquest.dev/model=forrest,rpsquest.dev/version=${version}`,
    ).items;
    expect(jobs.length).toBe(1);
    expect(versions('forrest').filter((v) => v === version).length).toBe(1);
  });

  it('loses nothing when the MinIO pod restarts: a new game server pod loads every version from it again', async () => {
    // what the operator asks the game server to serve, once nothing is in flight
    await until('every bot Ready', () =>
      ['brian', 'forrest', 'logan'].every((m) => condition(model(m), 'Ready')?.status === 'True')
        ? true
        : undefined,
    );
    const manifests = () => {
      const cm = kjson<{ data: Record<string, string> }>('get', 'configmap', 'rps-quest-game-models');
      return Object.values(cm.data).map(
        (text) =>
          JSON.parse(text) as {
            model: string;
            aliases: Record<string, { version: string; sha256: string } | null>;
          },
      );
    };
    const before = manifests();
    kubectl('delete', 'pod', 'rps-quest-minio-0', '--wait=true');
    await until('MinIO Ready again', () =>
      kjson<{ status: { readyReplicas?: number } }>('get', 'statefulset', 'rps-quest-minio').status
        .readyReplicas === 1
        ? true
        : undefined,
    );
    const old = gamePod()!;
    kubectl('delete', 'pod', old.metadata.name, '--wait=true');
    await until('a new game server pod with every model loaded', async () => {
      const p = gamePod();
      if (!p || p.metadata.uid === old.metadata.uid) return undefined;
      return (await fetch(`${gameUrl}/readyz`)).ok ? true : undefined;
    });
    expect(manifests()).toEqual(before);
    const served = await json<ModelsReply>(`${gameUrl}/api/v1/models`);
    for (const m of before) {
      const now = served.models.find((x) => x.model === m.model)!;
      for (const [alias, a] of Object.entries(m.aliases)) {
        if (!a) continue;
        expect(now.aliases[alias as Alias], `${m.model} ${alias}`).toMatchObject({
          version: a.version,
          sha256: a.sha256,
          loaded: true,
        });
      }
    }
  });
});

describe('the synthetic-traffic CronJob', () => {
  it('plays games from a Job created from it', async () => {
    const name = `simulate-${Date.now()}`;
    // it plays only while fewer human games than the threshold finished in the window, and the
    // tests (and a benchmark before them) may have played more: a threshold nobody reaches
    const threshold = kjson<{
      spec: {
        jobTemplate: {
          spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
        };
      };
    }>('get', 'cronjob', 'rps-quest-simulate').spec.jobTemplate.spec.template.spec.containers[0]!.env.find(
      (e) => e.name === 'RPS_MIN_HUMAN_GAMES',
    )!.value!;
    kubectl('set', 'env', 'cronjob/rps-quest-simulate', 'RPS_MIN_HUMAN_GAMES=1000000');
    try {
      kubectl('create', 'job', name, '--from=cronjob/rps-quest-simulate');
    } finally {
      kubectl('set', 'env', 'cronjob/rps-quest-simulate', `RPS_MIN_HUMAN_GAMES=${threshold}`);
    }
    await until(
      `Job ${name} complete`,
      () =>
        kjson<{ status: { succeeded?: number; failed?: number } }>('get', 'job', name).status.succeeded === 1
          ? true
          : undefined,
      300_000,
    );
    const summary = JSON.parse(kubectl('logs', `job/${name}`).trim().split('\n').pop()!) as {
      games?: number;
    };
    expect(summary.games).toBeGreaterThan(0);
  });
});
