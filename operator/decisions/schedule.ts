import { CronExpressionParser } from 'cron-parser';
import { cronScheduleProblem } from './cron-rule.ts';

/** The first time the cron schedule fires strictly after `after` (UTC), or an error naming the schedule. */
export function nextCronTime(
  schedule: string,
  after: Date,
): { ok: true; time: Date } | { ok: false; error: string } {
  // what the API server refuses, refused here in its words (cron-parser takes L, W and #)
  const problem = cronScheduleProblem(schedule);
  if (problem)
    return { ok: false, error: `schedule "${schedule}" is not a valid cron expression: ${problem}` };
  try {
    const expr = CronExpressionParser.parse(schedule, { currentDate: after, tz: 'UTC' });
    return { ok: true, time: expr.next().toDate() };
  } catch (err) {
    return {
      ok: false,
      error: `schedule "${schedule}" is not a valid cron expression: ${(err as Error).message}`,
    };
  }
}

const DURATION = /^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/;

/** "1h30m", "5m", "45s" → milliseconds; the CRD admits only these forms. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m || text === '') throw new Error(`duration "${text}" must look like 30s, 5m or 1h30m`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

export interface DataGates {
  minNewEvents: number;
  minTotalEvents: number;
}

export interface EventCounts {
  /** rounds after the latest version's data (counted up to the gate) */
  newEvents: number;
  /** rounds in total (counted up to the gate) */
  totalEvents: number;
}

/** Whether scheduled training may run, and if not, a message saying which gate held it back. */
export function gatesPass(gates: DataGates, counts: EventCounts): { pass: boolean; message: string } {
  const problems: string[] = [];
  if (counts.newEvents < gates.minNewEvents) {
    problems.push(`${counts.newEvents} new rounds since the last training, need ${gates.minNewEvents}`);
  }
  if (counts.totalEvents < gates.minTotalEvents) {
    problems.push(`${counts.totalEvents} rounds in total, need ${gates.minTotalEvents}`);
  }
  return problems.length
    ? { pass: false, message: problems.join('; ') }
    : {
        pass: true,
        message: `${counts.newEvents} new and ${counts.totalEvents} total rounds pass the gates`,
      };
}
