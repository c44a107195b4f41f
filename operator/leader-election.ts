import type { Logger } from 'pino';
import type { Kube } from './kube.ts';
import { isConflict, isNotFound, microTime } from './kube.ts';

export interface LeaderElectionOptions {
  kube: Kube;
  namespace: string;
  name: string;
  identity: string;
  /** how long a lease holds without renewal (default 15 s) */
  leaseDurationMs?: number;
  /** the leader gives up when it could not renew for this long (default 10 s) */
  renewDeadlineMs?: number;
  /** how often to try to acquire or renew (default 2 s) */
  retryPeriodMs?: number;
  log: Logger;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/**
 * Lease-based leader election as client-go does it: a candidate takes the Lease when it is
 * free, its own, or not renewed for leaseDuration as observed on the candidate's own clock (so
 * clocks need not agree); the leader renews every retryPeriod and steps down when it could not
 * renew within renewDeadline. Writes carry the resourceVersion, so two candidates never both win.
 */
export class LeaderElector {
  private stopped = false;
  private leading = false;
  private observed: { record: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: LeaderElectionOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  private get leaseDurationMs() {
    return this.opts.leaseDurationMs ?? 15_000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a leader releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release().catch((err: unknown) =>
        this.opts.log.warn({ err }, 'could not release the lease'),
      );
      await this.opts.onStoppedLeading();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, ms);
      this.wake = () => {
        if (this.timer) clearTimeout(this.timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const retry = this.opts.retryPeriodMs ?? 2000;
    const deadline = this.opts.renewDeadlineMs ?? 10_000;
    let lastRenew = 0;
    while (!this.stopped) {
      let held = false;
      let failed = false;
      try {
        held = await this.tryAcquireOrRenew();
      } catch (err) {
        failed = true;
        this.opts.log.warn({ err: (err as Error).message }, 'lease update failed');
      }
      if (this.stopped) break;
      const now = Date.now();
      if (held) {
        lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.opts.log.info({ lease: this.opts.name, identity: this.opts.identity }, 'became leader');
          await this.opts.onStartedLeading();
        }
      } else if (this.leading && (!failed || now - lastRenew > deadline)) {
        // another replica holds the Lease, or renewing failed for longer than the deadline
        this.leading = false;
        this.opts.log.warn({ lease: this.opts.name }, 'lost the lease');
        await this.opts.onStoppedLeading();
      }
      await this.sleep(retry);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { kube, namespace, name, identity } = this.opts;
    const now = new Date();
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    let lease: Lease | undefined;
    try {
      lease = (await kube.custom.getNamespacedCustomObject({
        group: 'coordination.k8s.io',
        version: 'v1',
        namespace,
        plural: 'leases',
        name,
      })) as Lease;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!lease) {
      try {
        await kube.custom.createNamespacedCustomObject({
          group: 'coordination.k8s.io',
          version: 'v1',
          namespace,
          plural: 'leases',
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const mine = holder === identity;
    const expired = Date.now() - this.observed.at > (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder && !mine && !expired) return false;
    const body: Lease = {
      ...lease,
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
    try {
      await kube.custom.replaceNamespacedCustomObject({
        group: 'coordination.k8s.io',
        version: 'v1',
        namespace,
        plural: 'leases',
        name,
        body,
      });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { kube, namespace, name, identity } = this.opts;
    const lease = (await kube.custom.getNamespacedCustomObject({
      group: 'coordination.k8s.io',
      version: 'v1',
      namespace,
      plural: 'leases',
      name,
    })) as Lease;
    if (lease.spec?.holderIdentity !== identity) return;
    await kube.custom.replaceNamespacedCustomObject({
      group: 'coordination.k8s.io',
      version: 'v1',
      namespace,
      plural: 'leases',
      name,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(new Date()),
        },
      },
    });
  }
}
