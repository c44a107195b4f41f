import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Kube } from '../../operator/kube.ts';
import { LeaderElector } from '../../operator/leader-election.ts';

// LeaderElector against an in-memory Lease API with the API server's optimistic concurrency
// (a write with a stale resourceVersion is a 409) and a fake clock. The real API server is used
// by the operator's integration tests (two operators, one leader).

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const apiError = (code: number, message: string) => Object.assign(new Error(message), { code });

class FakeLeases {
  lease: Lease | undefined;
  /** while set, every request fails with this (the API server unreachable) */
  down: Error | undefined;
  private version = 0;

  /** A client of the API; `client.hung` makes its requests never answer (a frozen process). */
  kube(client: { hung: boolean } = { hung: false }): Kube {
    const hang = () => (client.hung ? new Promise<never>(() => {}) : Promise.resolve());
    const custom = {
      getNamespacedCustomObject: async () => {
        await hang();
        if (this.down) throw this.down;
        if (!this.lease) throw apiError(404, 'leases "rps-quest-operator" not found');
        return structuredClone(this.lease);
      },
      createNamespacedCustomObject: async ({ body }: { body: Lease }) => {
        await hang();
        if (this.down) throw this.down;
        if (this.lease) throw apiError(409, 'leases "rps-quest-operator" already exists');
        this.lease = {
          ...structuredClone(body),
          metadata: { ...body.metadata, resourceVersion: this.next() },
        };
        return this.lease;
      },
      replaceNamespacedCustomObject: async ({ body }: { body: Lease }) => {
        await hang();
        if (this.down) throw this.down;
        if (body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
          throw apiError(409, 'the object has been modified');
        }
        this.lease = {
          ...structuredClone(body),
          metadata: { ...body.metadata, resourceVersion: this.next() },
        };
        return this.lease;
      },
    };
    return { custom } as unknown as Kube;
  }

  private next(): string {
    return String(++this.version);
  }
}

function candidate(leases: FakeLeases, identity: string) {
  const log: string[] = [];
  const client = { hung: false };
  const elector = new LeaderElector({
    kube: leases.kube(client),
    namespace: 'rps-quest',
    name: 'rps-quest-operator',
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2000,
    log: pino({ level: 'silent' }),
    onStartedLeading: () => void log.push('started'),
    onStoppedLeading: () => void log.push('stopped'),
  });
  return { elector, log, client };
}

describe('LeaderElector', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00.000Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('creates the Lease when there is none, leads, renews every retry period, and releases it on stop', async () => {
    const leases = new FakeLeases();
    const a = candidate(leases, 'operator-a');
    a.elector.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.elector.isLeader).toBe(true);
    expect(a.log).toEqual(['started']);
    expect(leases.lease?.spec).toMatchObject({
      holderIdentity: 'operator-a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
      renewTime: '2026-01-01T00:00:00.000000Z',
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(leases.lease?.spec.renewTime).toBe('2026-01-01T00:00:02.000000Z');
    expect(leases.lease?.spec.acquireTime).toBe('2026-01-01T00:00:00.000000Z');

    await a.elector.stop();
    expect(a.elector.isLeader).toBe(false);
    expect(a.log).toEqual(['started', 'stopped']);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  it('does not take a Lease that is renewed, and takes it once it was not renewed for the lease duration', async () => {
    const leases = new FakeLeases();
    const a = candidate(leases, 'operator-a');
    const b = candidate(leases, 'operator-b');
    a.elector.start();
    await vi.advanceTimersByTimeAsync(0);
    b.elector.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(a.elector.isLeader).toBe(true);
    expect(b.elector.isLeader).toBe(false);
    expect(b.log).toEqual([]);

    // a stops renewing without releasing the Lease (its process froze)
    a.client.hung = true;
    await vi.advanceTimersByTimeAsync(14_000);
    expect(b.elector.isLeader).toBe(false);
    await vi.advanceTimersByTimeAsync(6000);
    expect(b.elector.isLeader).toBe(true);
    expect(b.log).toEqual(['started']);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: 'operator-b', leaseTransitions: 1 });
    await b.elector.stop();
    expect(b.log).toEqual(['started', 'stopped']);
  });

  it('keeps leading through failed renewals shorter than the renew deadline, and steps down after it', async () => {
    const leases = new FakeLeases();
    const a = candidate(leases, 'operator-a');
    a.elector.start();
    await vi.advanceTimersByTimeAsync(0);
    leases.down = apiError(503, 'the API server is unavailable');
    await vi.advanceTimersByTimeAsync(8000);
    expect(a.elector.isLeader).toBe(true);
    expect(a.log).toEqual(['started']);
    await vi.advanceTimersByTimeAsync(4000);
    expect(a.elector.isLeader).toBe(false);
    expect(a.log).toEqual(['started', 'stopped']);

    leases.down = undefined;
    await vi.advanceTimersByTimeAsync(2000);
    expect(a.elector.isLeader).toBe(true);
    expect(a.log).toEqual(['started', 'stopped', 'started']);
    await a.elector.stop();
  });

  it('of two candidates racing for a free Lease, exactly one wins', async () => {
    const leases = new FakeLeases();
    const a = candidate(leases, 'operator-a');
    const b = candidate(leases, 'operator-b');
    a.elector.start();
    b.elector.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect([a.elector.isLeader, b.elector.isLeader].filter(Boolean)).toHaveLength(1);
    const leader = a.elector.isLeader ? 'operator-a' : 'operator-b';
    expect(leases.lease?.spec.holderIdentity).toBe(leader);
    await a.elector.stop();
    await b.elector.stop();
  });

  it('a leader that sees another holder in the Lease steps down at once', async () => {
    const leases = new FakeLeases();
    const a = candidate(leases, 'operator-a');
    a.elector.start();
    await vi.advanceTimersByTimeAsync(0);
    leases.lease!.spec.holderIdentity = 'operator-b';
    leases.lease!.metadata.resourceVersion = '99';
    await vi.advanceTimersByTimeAsync(2000);
    expect(a.elector.isLeader).toBe(false);
    expect(a.log).toEqual(['started', 'stopped']);
    await a.elector.stop();
  });
});
