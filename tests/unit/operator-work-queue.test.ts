import { describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../../operator/work-queue.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await tick();
  expect(check()).toBe(true);
}

describe('work queue', () => {
  it('merges duplicate adds of a waiting key', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ name: 't', workers: 2, reconcile: async (k) => void seen.push(k) });
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    q.start();
    await until(() => seen.length === 2);
    await q.shutdown();
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('never reconciles one key twice at once; an add during its reconcile runs it again afterwards', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      name: 't',
      workers: 4,
      reconcile: async () => {
        running++;
        calls++;
        maxRunning = Math.max(maxRunning, running);
        if (calls === 1) await gate;
        running--;
      },
    });
    q.start();
    q.add('a');
    await until(() => calls === 1);
    q.add('a');
    q.add('a');
    await tick();
    expect(calls).toBe(1);
    release();
    await until(() => calls === 2);
    await tick();
    await q.shutdown();
    expect(maxRunning).toBe(1);
    expect(calls).toBe(2);
  });

  it('retries a failing key with growing backoff and reports each outcome', async () => {
    const outcomes: string[] = [];
    let calls = 0;
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      baseDelayMs: 5,
      reconcile: async () => {
        calls++;
        if (calls < 3) throw new Error('boom');
      },
      onReconciled: (_k, outcome) => outcomes.push(outcome),
    });
    q.start();
    q.add('a');
    await until(() => outcomes.length === 3);
    expect(outcomes).toEqual(['error', 'error', 'success']);
    expect(q.failuresOf('a')).toBe(0);
    await q.shutdown();
  });

  it('waits base, 2 × base, 4 × base … between the attempts of a failing key (on a fake clock)', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const q = new WorkQueue({
        name: 't',
        workers: 1,
        baseDelayMs: 100,
        maxDelayMs: 300,
        reconcile: async () => {
          calls++;
          throw new Error('boom');
        },
      });
      q.start();
      q.add('a');
      await vi.advanceTimersByTimeAsync(0);
      expect(calls).toBe(1);
      // each retry comes exactly when its delay is over, not a millisecond earlier; capped at maxDelayMs
      for (const [delay, attempt] of [
        [100, 2],
        [200, 3],
        [300, 4],
        [300, 5],
      ] as const) {
        await vi.advanceTimersByTimeAsync(delay - 1);
        expect(calls, `attempt ${attempt} before its ${delay} ms`).toBe(attempt - 1);
        await vi.advanceTimersByTimeAsync(1);
        expect(calls, `attempt ${attempt} after ${delay} ms`).toBe(attempt);
      }
      expect(q.failuresOf('a')).toBe(5);
      const done = q.shutdown();
      await vi.runAllTimersAsync();
      await done;
    } finally {
      vi.useRealTimers();
    }
  });

  it('requeues after the delay a reconcile asks for, keeping the earliest', async () => {
    let calls = 0;
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      reconcile: async () => {
        calls++;
        return calls === 1 ? { requeueAfterMs: 20 } : {};
      },
    });
    q.start();
    q.addAfter('a', 60_000);
    q.add('a');
    // the 20 ms requeue replaced the 60 s timer: nothing is left waiting
    await until(() => calls === 2);
    await until(() => q.size === 0);
    // a later delay does not postpone an earlier one
    q.addAfter('b', 10);
    q.addAfter('b', 60_000);
    await until(() => calls === 3);
    await q.shutdown();
  });

  it('shutdown waits for reconciles in flight and then takes no more keys', async () => {
    let finished = false;
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      reconcile: async () => {
        await new Promise((r) => setTimeout(r, 30));
        finished = true;
      },
    });
    q.start();
    q.add('a');
    await tick();
    await q.shutdown();
    expect(finished).toBe(true);
    q.add('b');
    expect(q.depth).toBe(0);
  });
});
