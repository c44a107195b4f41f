import { backoffDelay } from '../lib/backoff.ts';

export interface ReconcileResult {
  /** reconcile this key again after this long (schedules, promotion intervals, polling) */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

export type ReconcileOutcome = 'success' | 'requeue' | 'error';

export interface WorkQueueOptions {
  name: string;
  reconcile: Reconcile;
  /** concurrent reconciles (of different keys) */
  workers: number;
  /** first retry delay after an error, doubled per consecutive error of the key (default 500 ms) */
  baseDelayMs?: number;
  /** the longest retry delay (default 5 min) */
  maxDelayMs?: number;
  onReconciled?: (key: string, outcome: ReconcileOutcome, durationMs: number, error?: unknown) => void;
  onDepth?: (depth: number) => void;
}

/**
 * A keyed work queue in the manner of client-go's: a key is queued at most once (duplicate
 * events merge), never reconciled by two workers at once (an event during its reconcile
 * queues it again afterwards), retried with per-key exponential backoff after an error, and
 * requeued after a delay when the reconcile asks for it (the earliest pending delay wins).
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly idle: (() => void)[] = [];
  private readonly running: Promise<void>[] = [];
  private stopped = false;
  private started = false;

  constructor(private readonly opts: WorkQueueOptions) {}

  get depth(): number {
    return this.queue.length;
  }

  /** Keys waiting, being reconciled or waiting for a timer. */
  get size(): number {
    return new Set([...this.queued, ...this.processing, ...this.timers.keys()]).size;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.opts.onDepth?.(this.queue.length);
    this.idle.shift()?.();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, timer });
  }

  /** Consecutive failed reconciles of the key. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (let i = 0; i < this.opts.workers; i++) this.running.push(this.work());
  }

  /** Stops taking keys, drops timers and waits for the reconciles in flight. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    while (this.idle.length) this.idle.shift()!();
    await Promise.all(this.running);
  }

  private async next(): Promise<string | null> {
    while (!this.stopped) {
      const key = this.queue.shift();
      if (key !== undefined) {
        this.queued.delete(key);
        this.opts.onDepth?.(this.queue.length);
        return key;
      }
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
    return null;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === null) return;
      this.processing.add(key);
      const started = performance.now();
      try {
        const result = await this.opts.reconcile(key);
        this.failures.delete(key);
        const after = result?.requeueAfterMs;
        this.opts.onReconciled?.(
          key,
          after !== undefined ? 'requeue' : 'success',
          performance.now() - started,
        );
        if (after !== undefined) this.addAfter(key, Math.max(after, 1));
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        this.opts.onReconciled?.(key, 'error', performance.now() - started, err);
        this.addAfter(key, backoffDelay(n, this.opts.baseDelayMs ?? 500, this.opts.maxDelayMs ?? 300_000));
      } finally {
        this.processing.delete(key);
        if (this.dirty.delete(key)) this.add(key);
      }
    }
  }
}
