/**
 * What the API server refuses in `training.schedule` (crds/rpsmodels.yaml) that cron-parser would
 * take or refuse in its own words: over 64 characters, six fields (seconds), macros other than @hourly … @yearly,
 * `L` and `W` in the day of month, `L` and `#` in the day of week, and a day of month that none of
 * the schedule's months has. The operator applies the same rule
 * with the same messages, so a schedule is refused alike wherever it is checked
 * (tests/integration/admission-corpus.ts holds the cases both must agree on).
 */

/** The CRD's maxLength of training.schedule (its day rule's CEL cost grows with it). */
export const MAX_SCHEDULE_LENGTH = 64;

const SHAPE_MESSAGE =
  'must be a cron expression with five fields (minute hour day-of-month month day-of-week), for example "0 */6 * * *", or one of @hourly, @daily, @weekly, @monthly, @yearly';
const DAY_OF_MONTH_MESSAGE =
  'the day-of-month (third) field must be 1-31, a range a-b of those or *, or ?, each with an optional /step from 1 to 99, or a comma-separated list';
const DAY_OF_WEEK_MESSAGE =
  'the day-of-week (fifth) field must be 0-7 (0 and 7 are Sunday) or SUN-SAT, a range a-b of those or *, or ?, each with an optional /step from 1 to 99, or a comma-separated list';

// the CRD's patterns of the two fields the day rule reads (it applies only to fields they match)
const DAY_OF_MONTH =
  /^(\*|\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(\/[1-9][0-9]?)?(,(\*|\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(\/[1-9][0-9]?)?)*$/;
const MONTH_ITEM =
  '(\\*|(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[1-9][0-9]?)?';
const MONTH = new RegExp(`^${MONTH_ITEM}(,${MONTH_ITEM})*$`, 'i');

/** Days of each month at most (February 29: a schedule for the 29th fires in leap years). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const monthNumber = (text: string) =>
  /^[0-9]+$/.test(text) ? Number(text) : MONTH_NAMES.indexOf(text.toLowerCase()) + 1;

/** The months one item of the month field (`*`, `a`, `a-b`, each with an optional `/step`) covers. */
function monthsOf(item: string): number[] {
  const [base = '', step] = item.split('/');
  const by = step === undefined ? 1 : Number(step);
  const [a = '', b] = base.split('-');
  const lo = base === '*' ? 1 : monthNumber(a);
  const hi = base === '*' ? 12 : b !== undefined ? monthNumber(b) : step !== undefined ? 12 : lo;
  return MONTH_DAYS.map((_, i) => i + 1).filter((m) => m >= lo && m <= hi && (m - lo) % by === 0);
}

/** The first day one item of the day-of-month field allows. */
function firstDay(item: string): number {
  const base = item.split('/')[0] ?? '';
  return base === '*' || base === '?' ? 1 : Number(base.split('-')[0]);
}

/** The API server's refusal of this schedule that the operator must make too, or undefined. */
export function cronScheduleProblem(schedule: string): string | undefined {
  if (schedule.length > MAX_SCHEDULE_LENGTH)
    return `may not be more than ${MAX_SCHEDULE_LENGTH} bytes; got ${schedule.length}`;
  if (schedule.startsWith('@')) {
    return /^@(yearly|annually|monthly|weekly|daily|hourly)$/.test(schedule)
      ? undefined
      : `${SHAPE_MESSAGE}; got "${schedule}"`;
  }
  const fields = schedule.split(' ').filter((f) => f !== '');
  if (fields.length !== 5) return `${SHAPE_MESSAGE}; got "${schedule}"`;
  const [, , dayOfMonth = '', month = '', dayOfWeek = ''] = fields;
  if (/[LW]/i.test(dayOfMonth)) return `${DAY_OF_MONTH_MESSAGE}; got "${dayOfMonth}"`;
  if (/[L#]/i.test(dayOfWeek)) return `${DAY_OF_WEEK_MESSAGE}; got "${dayOfWeek}"`;
  // with a day of week set, cron fires on either; with * or ? the day of month alone decides
  if (dayOfWeek !== '*' && dayOfWeek !== '?') return undefined;
  if (!DAY_OF_MONTH.test(dayOfMonth) || !MONTH.test(month)) return undefined;
  const months = month.split(',').flatMap(monthsOf);
  const occurs = dayOfMonth
    .split(',')
    .some((item) => months.some((m) => firstDay(item) <= MONTH_DAYS[m - 1]!));
  return occurs
    ? undefined
    : `the day-of-month (third) field allows no day that the months of the month (fourth) field have (February has at most 29 days); got "${dayOfMonth}" in "${month}"`;
}
