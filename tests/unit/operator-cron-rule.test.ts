import { describe, expect, it } from 'vitest';
import { cronScheduleProblem } from '../../operator/decisions/cron-rule.ts';
import { nextCronTime } from '../../operator/decisions/schedule.ts';
import { INVALID, VALID } from '../integration/admission-corpus.ts';

// The admission corpus's schedules, checked by the operator's parser: one rule for both.
const scheduleOf = (spec: Record<string, unknown>) =>
  (spec.training as { schedule?: string } | undefined)?.schedule;
const refused = INVALID.filter(
  (c) => scheduleOf(c.spec) !== undefined && c.says.some((s) => /schedule/.test(s.source)),
);
const admitted = VALID.filter((c) => scheduleOf(c.spec) !== undefined);
const after = new Date('2026-01-01T00:00:00Z');

describe('the operator and admission agree on training.schedule', () => {
  it('the corpus has the cases', () => {
    expect(refused.length).toBeGreaterThanOrEqual(18);
    expect(admitted.length).toBeGreaterThanOrEqual(7);
  });

  it.each(admitted.map((c) => [scheduleOf(c.spec)!, c.what] as const))(
    'takes %s (%s), which admission admits',
    (schedule) => {
      const next = nextCronTime(schedule, after);
      expect(next.ok, next.ok ? '' : next.error).toBe(true);
    },
  );

  it.each(refused.map((c) => [scheduleOf(c.spec)!, c.what, c.says] as const))(
    'refuses %s (%s), which admission refuses',
    (schedule, _what, says) => {
      const next = nextCronTime(schedule, after);
      expect(next.ok).toBe(false);
      // where the operator's own rule decides, in admission's words
      if (cronScheduleProblem(schedule)) {
        const words = says.map(
          (s) => new RegExp(s.source.replace(/^spec\\\.training\\\.schedule: \.\*/, '')),
        );
        for (const w of words) expect(next.ok ? '' : next.error).toMatch(w);
      }
    },
  );

  it('leaves a day of month to the day of week when both are set (cron fires on either)', () => {
    expect(cronScheduleProblem('0 0 31 2 1')).toBeUndefined();
    const next = nextCronTime('0 0 31 2 1', after);
    expect(next.ok && next.time.toISOString()).toBe('2026-02-02T00:00:00.000Z');
  });

  // cron-parser reads a day of week as unrestricted only when it is exactly * or ?; any other
  // form (a step from *, a range over the whole week) restricts it, and then either day field
  // fires. Vixie cron would treat */2 as unrestricted, and 0 0 31 2 */2 would never run there.
  it.each([
    ['0 0 31 2 */2', ['2026-02-01', '2026-02-03', '2026-02-05']],
    // 1, 3, 5 and 7: 7 is Sunday as 0 is
    ['0 0 31 2 1/2', ['2026-02-01', '2026-02-02', '2026-02-04']],
    ['0 0 31 2 0-7', ['2026-02-01', '2026-02-02', '2026-02-03']],
    ['0 0 31 2 SUN-SAT', ['2026-02-01', '2026-02-02', '2026-02-03']],
    ['0 0 30 2 mon,fri', ['2026-02-02', '2026-02-06', '2026-02-09']],
  ])('takes %s and fires on its days of week in February', (schedule, days) => {
    expect(cronScheduleProblem(schedule)).toBeUndefined();
    const fired: string[] = [];
    let at = after;
    for (const _ of days) {
      const next = nextCronTime(schedule, at);
      if (!next.ok) throw new Error(next.error);
      fired.push(next.time.toISOString().slice(0, 10));
      at = next.time;
    }
    expect(fired).toEqual(days);
  });

  it.each(['0 0 31 2 *', '0 0 31 2 ?', '0 0 30-31 2 ?'])(
    'refuses %s: with the day of week * or ?, the day of month alone decides',
    (schedule) => {
      expect(cronScheduleProblem(schedule)).toMatch(/allows no day that the months/);
      expect(nextCronTime(schedule, after).ok).toBe(false);
    },
  );
});
