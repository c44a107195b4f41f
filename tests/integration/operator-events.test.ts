import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binary, startControlPlane, type ControlPlane } from '../../hack/harness/index.ts';
import { EventRecorder, type EventSubject } from '../../operator/events.ts';
import { makeKube, type Kube } from '../../operator/kube.ts';

const run = promisify(execFile);
const NS = 'events-test';
let dir: string;
let cp: ControlPlane;
let kube: Kube;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rps-events-'));
  cp = await startControlPlane({ dir, fsync: false });
  kube = makeKube(cp.kubeConfig);
  await kube.core.createNamespace({ body: { metadata: { name: NS } } });
});

afterAll(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Events on the real API server', () => {
  it('carry firstTimestamp, lastTimestamp and count, so kubectl sorts them by when they last happened', async () => {
    const cm = await kube.core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'subject' } },
    });
    const subject: EventSubject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'subject', namespace: NS, uid: cm.metadata!.uid! },
    };
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const recorder = new EventRecorder({ kube, controller: 'rpsquest.dev/operator', instance: 'test', log });
    // Event times have one-second resolution: the pauses give each step its own second
    await recorder.normal(subject, 'First', 'Test', 'the first thing');
    await pause(1100);
    await recorder.warning(subject, 'Second', 'Test', 'the second thing');
    await pause(1100);
    await recorder.normal(subject, 'First', 'Test', 'the first thing');
    expect(warnings).toEqual([]);

    const sorted = await run(
      binary('kubectl'),
      [
        '--kubeconfig',
        cp.kubeconfigPath,
        '-n',
        NS,
        'get',
        'events',
        '--sort-by=.lastTimestamp',
        '-o',
        'custom-columns=REASON:.reason,COUNT:.count,TYPE:.type,OBJECT:.involvedObject.name',
        '--no-headers',
      ],
      { encoding: 'utf8' },
    );
    expect(
      sorted.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)),
    ).toEqual([
      ['Second', '1', 'Warning', 'subject'],
      ['First', '2', 'Normal', 'subject'],
    ]);
    const events = await kube.core.listNamespacedEvent({ namespace: NS });
    const first = events.items.find((e) => e.reason === 'First')!;
    expect(first.message).toBe('the first thing');
    expect(first.source?.component).toBe('rpsquest.dev/operator');
    expect(first.lastTimestamp!.getTime()).toBeGreaterThan(first.firstTimestamp!.getTime());
    // kubectl describe lists them too
    const describe = await run(
      binary('kubectl'),
      ['--kubeconfig', cp.kubeconfigPath, '-n', NS, 'describe', 'configmap', 'subject'],
      { encoding: 'utf8' },
    );
    expect(describe.stdout).toMatch(/Normal\s+First\s+.*the first thing/);
    expect(describe.stdout).toMatch(/Warning\s+Second\s+.*the second thing/);
  });
});
