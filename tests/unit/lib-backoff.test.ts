import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../lib/backoff.ts';

describe('backoff', () => {
  it('doubles the delay per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 10_000))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(backoffDelay(1000, 1000, 10_000)).toBe(10_000);
  });

  it('doubles without a cap when none is given, as the object store and export retries do', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, 200))).toEqual([200, 400, 800, 1600, 3200]);
  });

  it('counts attempts from 1: a zeroth or negative attempt waits the base delay', () => {
    expect(backoffDelay(0, 500, 30_000)).toBe(500);
    expect(backoffDelay(-3, 500, 30_000)).toBe(500);
  });
});
