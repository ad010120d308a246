/**
 * When an EventBridge Scheduler schedule runs: the next times of a `cron(...)` or `rate(...)` expression in
 * its time zone, with Scheduler's rules (day-of-week 1-7 from Sunday, a year field, `?`, `L`, `W`, `#`;
 * a time skipped by a daylight saving change does not run, a time repeated by one runs once; a rate
 * counts fixed durations from the schedule's start).
 */
import { scheduleExpressionProblem } from '../../lambdas/shared/refresh-model/schedule-expression';

export interface ScheduleTiming {
  readonly expression: string;
  /** IANA time zone the cron expression is read in. @default 'UTC' */
  readonly timezone?: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MINUTE_MS = 60_000;
const RATE_UNIT_MS: Record<string, number> = { minute: MINUTE_MS, hour: 3_600_000, day: 86_400_000 };
/** No schedule is looked at further ahead than this many years (the year field stops at 2199). */
const HORIZON_YEARS = 250;

/**
 * The first `count` times after `after` (exclusive) at which the schedule runs.
 * @param start when a rate schedule started counting (its creation); cron schedules ignore it
 * @throws Error when the expression is not one Scheduler accepts
 */
export function nextRunTimes(
  timing: ScheduleTiming,
  after: Date,
  count: number,
  start: Date = after,
): Date[] {
  const problem = scheduleExpressionProblem(timing.expression);
  if (problem) throw new Error(`Schedule expression "${timing.expression}" ${problem}`);
  const rate = /^rate\((\d+)\s+(minute|hour|day)s?\)$/.exec(timing.expression.trim());
  if (rate) return rateTimes(Number(rate[1]) * (RATE_UNIT_MS[rate[2] ?? ''] ?? 0), start, after, count);
  const body = /^cron\((.*)\)$/.exec(timing.expression.trim())?.[1] ?? '';
  return cronTimes(parseCron(body), timing.timezone ?? 'UTC', after, count);
}

/** Rate schedules run at their start, then every interval; days are 24 hours whatever the clocks do. */
function rateTimes(intervalMs: number, start: Date, after: Date, count: number): Date[] {
  const elapsed = after.getTime() - start.getTime();
  const first = elapsed < 0 ? 0 : Math.floor(elapsed / intervalMs) + 1;
  return Array.from(
    { length: count },
    (_, index) => new Date(start.getTime() + (first + index) * intervalMs),
  );
}

interface Cron {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly months: ReadonlySet<number>;
  readonly years: ReadonlySet<number>;
  /** Whether a calendar day (month 1-12, weekday 1-7 from Sunday) is one the schedule runs on. */
  readonly runsOn: (year: number, month: number, day: number) => boolean;
}

function parseCron(body: string): Cron {
  const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = body
    .trim()
    .toUpperCase()
    .split(/\s+/);
  const days = dayOfMonth === '?' ? undefined : dayOfMonthMatcher(dayOfMonth);
  const weekdays = dayOfWeek === '?' ? undefined : dayOfWeekMatcher(dayOfWeek);
  return {
    minutes: [...values(minutes, 0, 59)].sort((a, b) => a - b),
    hours: [...values(hours, 0, 23)].sort((a, b) => a - b),
    months: values(month, 1, 12, MONTHS),
    years: values(year, 1970, 2199),
    runsOn: (y, m, d) => (days?.(y, m, d) ?? true) && (weekdays?.(y, m, d) ?? true),
  };
}

/** The values of a list of `*`, `v`, `a-b`, `*\/n`, `a/n`, `a-b/n` parts (names allowed where given). */
function values(field: string, min: number, max: number, names?: readonly string[]): Set<number> {
  const result = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [low, high] =
      range === '*'
        ? [min, max]
        : ((bounds) => [bounds[0] ?? min, bounds[1] ?? (stepText === undefined ? bounds[0] : max)])(
            range.split('-').map((bound) => fieldValue(bound, names)),
          );
    if (low === undefined || high === undefined || step < 1) continue;
    // A range may wrap around (FRI-MON, 22-2).
    const span = high >= low ? high - low : high + (max - min + 1) - low;
    for (let offset = 0; offset <= span; offset += step) {
      const value = low + offset;
      result.add(value > max ? value - (max - min + 1) : value);
    }
  }
  return result;
}

function fieldValue(text: string, names?: readonly string[]): number {
  const byName = names?.indexOf(text) ?? -1;
  return byName >= 0 ? byName + 1 : Number(text);
}

type DayMatcher = (year: number, month: number, day: number) => boolean;

/** Day of month: values, `L` (last day), `L-n` (n days before it), `nW` (nearest weekday), `LW`. */
function dayOfMonthMatcher(field: string): DayMatcher {
  const matchers: DayMatcher[] = field.split(',').map((part) => {
    if (part === 'L') return (y, m, d) => d === daysIn(y, m);
    const beforeLast = /^L-(\d+)$/.exec(part);
    if (beforeLast) return (y, m, d) => d === daysIn(y, m) - Number(beforeLast[1]);
    if (part === 'LW') return (y, m, d) => d === nearestWeekday(y, m, daysIn(y, m));
    const weekday = /^(\d+)W$/.exec(part);
    if (weekday) return (y, m, d) => d === nearestWeekday(y, m, Number(weekday[1]));
    const days = values(part, 1, 31);
    return (_y, _m, d) => days.has(d);
  });
  return (y, m, d) => matchers.some((matcher) => matcher(y, m, d));
}

/** Day of week (1 = SUN): values, `L` (Saturday), `nL` (last such weekday of the month), `n#k` (k-th). */
function dayOfWeekMatcher(field: string): DayMatcher {
  const matchers: DayMatcher[] = field.split(',').map((part) => {
    if (part === 'L') return (y, m, d) => weekdayOf(y, m, d) === 7;
    const last = /^(\w+)L$/.exec(part);
    if (last) {
      const wanted = fieldValue(last[1] ?? '', WEEKDAYS);
      return (y, m, d) => weekdayOf(y, m, d) === wanted && d + 7 > daysIn(y, m);
    }
    const nth = /^(\w+)#(\d)$/.exec(part);
    if (nth) {
      const wanted = fieldValue(nth[1] ?? '', WEEKDAYS);
      return (y, m, d) => weekdayOf(y, m, d) === wanted && Math.ceil(d / 7) === Number(nth[2]);
    }
    const weekdays = values(part, 1, 7, WEEKDAYS);
    return (y, m, d) => weekdays.has(weekdayOf(y, m, d));
  });
  return (y, m, d) => matchers.some((matcher) => matcher(y, m, d));
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday ... 7 = Saturday. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

/** The weekday nearest to `day` within its month (`W`); NaN when the month is shorter. */
function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysIn(year, month);
  if (day > last) return Number.NaN;
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? day + 2 : day - 1;
  if (weekday === 1) return day === last ? day - 2 : day + 1;
  return day;
}

function cronTimes(cron: Cron, zone: string, after: Date, count: number): Date[] {
  const times: Date[] = [];
  const clock = zoneClock(zone);
  const start = clock.wallTime(after.getTime());
  // Wall times more than an hour before `after`'s cannot come after it, daylight saving or not.
  const earliestMinute = start.hour * 60 + start.minute - 60;
  const lastYear = Math.min(2199, start.year + HORIZON_YEARS);
  for (let year = start.year; year <= lastYear && times.length < count; year++) {
    if (!cron.years.has(year)) continue;
    for (let month = year === start.year ? start.month : 1; month <= 12 && times.length < count; month++) {
      if (!cron.months.has(month)) continue;
      const firstDay = year === start.year && month === start.month ? start.day : 1;
      for (let day = firstDay; day <= daysIn(year, month) && times.length < count; day++) {
        if (!cron.runsOn(year, month, day)) continue;
        const sameDay = year === start.year && month === start.month && day === start.day;
        for (const hour of cron.hours) {
          for (const minute of cron.minutes) {
            if (sameDay && hour * 60 + minute < earliestMinute) continue;
            const instant = clock.instantOf(year, month, day, hour, minute);
            if (instant !== undefined && instant > after.getTime()) times.push(new Date(instant));
            if (times.length === count) return times;
          }
        }
      }
    }
  }
  return times;
}

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** Wall-clock arithmetic in one IANA time zone, through the runtime's time zone database. */
function zoneClock(zone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  const wallTime = (instant: number): WallTime => {
    const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
    return {
      year: Number(parts.year),
      month: Number(parts.month),
      day: Number(parts.day),
      hour: Number(parts.hour),
      minute: Number(parts.minute),
    };
  };
  const offsetAt = (instant: number): number => {
    const wall = wallTime(instant);
    const floored = Math.floor(instant / MINUTE_MS) * MINUTE_MS;
    return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute) - floored;
  };
  return {
    wallTime,
    /**
     * The instant the clocks of the zone show this wall time: the first one when they show it twice
     * (clocks set back), none when they skip it (clocks set forward).
     */
    instantOf(year: number, month: number, day: number, hour: number, minute: number): number | undefined {
      const asUtc = Date.UTC(year, month - 1, day, hour, minute);
      const offsets = new Set([asUtc - 86_400_000, asUtc, asUtc + 86_400_000].map(offsetAt));
      const instants = [...offsets]
        .map((offset) => asUtc - offset)
        .filter((instant) => {
          const wall = wallTime(instant);
          return wall.day === day && wall.hour === hour && wall.minute === minute;
        });
      return instants.length === 0 ? undefined : Math.min(...instants);
    },
  };
}
