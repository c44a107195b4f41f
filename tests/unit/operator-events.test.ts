import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventRecorder, type EventSubject, type EventType } from '../../operator/events.ts';
import type { Kube } from '../../operator/kube.ts';

// EventRecorder against an in-memory core/v1 Events API and a fake clock; the integration tests
// read the Events it records from a real API server (kubectl events, describe).

interface Call {
  op: 'create' | 'patch';
  namespace: string;
  name: string;
  body: Record<string, unknown>;
}

function recorder(options: { fail?: Error } = {}) {
  const calls: Call[] = [];
  const recorded: [EventType, string][] = [];
  const core = {
    createNamespacedEvent: async ({
      namespace,
      body,
    }: {
      namespace: string;
      body: Record<string, unknown>;
    }) => {
      if (options.fail) throw options.fail;
      calls.push({ op: 'create', namespace, name: (body.metadata as { name: string }).name, body });
      return body;
    },
    patchNamespacedEvent: async (req: { namespace: string; name: string; body: Record<string, unknown> }) => {
      if (options.fail) throw options.fail;
      calls.push({ op: 'patch', ...req });
      return req.body;
    },
  };
  const events = new EventRecorder({
    kube: { core } as unknown as Kube,
    controller: 'rps-quest-operator',
    instance: `operator-${'x'.repeat(200)}`,
    log: pino({ level: 'silent' }),
    onRecorded: (type, reason) => recorded.push([type, reason]),
  });
  return { events, calls, recorded, options };
}

const logan: EventSubject = {
  apiVersion: 'rpsquest.dev/v1alpha1',
  kind: 'RpsModel',
  metadata: { name: 'logan', namespace: 'games', uid: 'uid-logan' },
};

describe('EventRecorder', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00.000Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('creates a core/v1 Event about the object, with count, timestamps and the reporting component', async () => {
    const { events, calls, recorded } = recorder();
    await events.normal(logan, 'VersionRegistered', 'Register', 'registered v1');
    expect(calls).toHaveLength(1);
    const { op, namespace, name, body } = calls[0]!;
    expect([op, namespace]).toEqual(['create', 'games']);
    expect(name).toMatch(/^logan\.[0-9a-f]+$/);
    expect(body).toMatchObject({
      metadata: { name, namespace: 'games' },
      type: 'Normal',
      reason: 'VersionRegistered',
      action: 'Register',
      message: 'registered v1',
      count: 1,
      firstTimestamp: new Date('2026-01-01T00:00:00.000Z'),
      lastTimestamp: new Date('2026-01-01T00:00:00.000Z'),
      source: { component: 'rps-quest-operator' },
      reportingComponent: 'rps-quest-operator',
      involvedObject: {
        apiVersion: 'rpsquest.dev/v1alpha1',
        kind: 'RpsModel',
        name: 'logan',
        namespace: 'games',
        uid: 'uid-logan',
      },
    });
    expect((body.reportingInstance as string).length).toBe(128);
    expect(recorded).toEqual([['Normal', 'VersionRegistered']]);
  });

  it('counts the same Event repeated within ten minutes on one Event, and starts a new one after', async () => {
    const { events, calls } = recorder();
    await events.warning(logan, 'TrainingFailed', 'Train', 'exit code 1');
    vi.advanceTimersByTime(60_000);
    await events.warning(logan, 'TrainingFailed', 'Train', 'exit code 1');
    vi.advanceTimersByTime(9 * 60_000);
    await events.warning(logan, 'TrainingFailed', 'Train', 'exit code 1');
    expect(calls.map((c) => c.op)).toEqual(['create', 'patch', 'patch']);
    expect(calls[1]).toMatchObject({
      name: calls[0]!.name,
      body: { count: 2, lastTimestamp: '2026-01-01T00:01:00.000Z' },
    });
    expect(calls[2]!.body).toEqual({ count: 3, lastTimestamp: '2026-01-01T00:10:00.000Z' });

    // ten minutes after the last one: a new Event
    vi.advanceTimersByTime(10 * 60_000);
    await events.warning(logan, 'TrainingFailed', 'Train', 'exit code 1');
    expect(calls.map((c) => c.op)).toEqual(['create', 'patch', 'patch', 'create']);
    expect(calls[3]!.name).not.toBe(calls[0]!.name);
  });

  it('keeps Events apart that differ in type, reason, note or object', async () => {
    const { events, calls } = recorder();
    await events.warning(logan, 'TrainingFailed', 'Train', 'exit code 1');
    await events.warning(logan, 'TrainingFailed', 'Train', 'exit code 2');
    await events.warning(logan, 'RegistrationFailed', 'Train', 'exit code 1');
    await events.normal(logan, 'TrainingFailed', 'Train', 'exit code 1');
    await events.warning(
      { ...logan, metadata: { ...logan.metadata, uid: 'uid-other' } },
      'TrainingFailed',
      'Train',
      'exit code 1',
    );
    expect(calls.map((c) => c.op)).toEqual(['create', 'create', 'create', 'create', 'create']);
  });

  it('shortens a note over 1000 characters to 1000 with an ellipsis', async () => {
    const { events, calls } = recorder();
    await events.normal(logan, 'ManifestApplied', 'Serve', 'x'.repeat(1500));
    const message = calls[0]!.body.message as string;
    expect(message).toHaveLength(1000);
    expect(message.endsWith('x...')).toBe(true);
  });

  it('never fails the caller: a refused write is logged, and the repeat after it creates a new Event', async () => {
    const { events, calls, recorded, options } = recorder();
    options.fail = new Error('events is forbidden');
    await expect(events.normal(logan, 'Promoted', 'Promote', 'v2')).resolves.toBeUndefined();
    expect(calls).toEqual([]);
    expect(recorded).toEqual([['Normal', 'Promoted']]);

    options.fail = undefined;
    await events.normal(logan, 'Promoted', 'Promote', 'v2');
    options.fail = new Error('the API server is unavailable');
    await expect(events.normal(logan, 'Promoted', 'Promote', 'v2')).resolves.toBeUndefined();
    options.fail = undefined;
    await events.normal(logan, 'Promoted', 'Promote', 'v2');
    // the failed count update is not assumed to have landed: a new Event, count 1
    expect(calls.map((c) => [c.op, c.body.count])).toEqual([
      ['create', 1],
      ['create', 1],
    ]);
  });
});
