/**
 * EventBridge Scheduler expressions: `cron(minutes hours day-of-month month day-of-week year)` and
 * `rate(value unit)`, checked the way the Scheduler API checks them, so a bad schedule fails at
 * validation time instead of at deployment.
 */

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Extra single-part forms this field accepts besides numbers, ranges, lists and steps. */
  readonly special?: RegExp;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(\?|L|LW|L-\d{1,2}|\d{1,2}W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: WEEKDAYS,
    special: /^(\?|L|[1-7A-Z]{1,3}L|[1-7A-Z]{1,3}#[1-5])$/,
  },
  { name: 'year', min: 1970, max: 2199 },
];

export const SCHEDULE_EXPRESSION_FORMS =
  'cron(minutes hours day-of-month month day-of-week year) with "?" in day-of-month or day-of-week, or rate(value minute|minutes|hour|hours|day|days)';

/** Why `expression` is not a valid EventBridge Scheduler cron/rate expression, or undefined when it is. */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const cron = expression.match(/^cron\((.*)\)$/);
  if (cron) return cronProblem(cron[1] ?? '');
  const rate = expression.match(/^rate\((.*)\)$/);
  if (rate) return rateProblem(rate[1] ?? '');
  if (/^at\(/.test(expression))
    return 'one-time at(...) schedules are not refresh schedules; start a one-off run with `dbrefresh start`';
  return 'must be cron(...) or rate(...)';
}

function rateProblem(body: string): string | undefined {
  const match = body.trim().match(/^(\d+)\s+(minute|minutes|hour|hours|day|days)$/);
  if (!match)
    return `rate(${body}) must be rate(<positive whole number> <minute|minutes|hour|hours|day|days>)`;
  const value = Number(match[1]);
  const unit = match[2] ?? '';
  if (value < 1) return 'a rate must be at least 1';
  if (value === 1 && unit.endsWith('s'))
    return `rate(1 ${unit}) must use the singular unit: rate(1 ${unit.slice(0, -1)})`;
  if (value > 1 && !unit.endsWith('s'))
    return `rate(${value} ${unit}) must use the plural unit: rate(${value} ${unit}s)`;
  return undefined;
}

function cronProblem(body: string): string | undefined {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== CRON_FIELDS.length) {
    return `cron(...) needs ${CRON_FIELDS.length} fields (${CRON_FIELDS.map((f) => f.name).join(' ')}), got ${parts.length}`;
  }
  for (const [index, field] of CRON_FIELDS.entries()) {
    const problem = cronFieldProblem(parts[index] ?? '', field);
    if (problem) return `cron field ${field.name} ${problem}`;
  }
  const dayOfMonth = parts[2];
  const dayOfWeek = parts[4];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'cron(...) needs "?" in exactly one of day-of-month and day-of-week (for example cron(0 3 ? * MON-FRI *))';
  }
  return undefined;
}

function cronFieldProblem(text: string, field: CronField): string | undefined {
  for (const part of text.toUpperCase().split(',')) {
    if (part === '') return `"${text}" has an empty list element`;
    if (field.special?.test(part)) {
      if (part === '?' && text.includes(',')) return `"${text}": "?" cannot be part of a list`;
      continue;
    }
    const [range, step, extra] = part.split('/');
    if (extra !== undefined) return `"${part}" has more than one "/"`;
    if (step !== undefined && !/^\d+$/.test(step)) return `"${part}" needs a whole number after "/"`;
    if (range === '*') continue;
    const bounds = (range ?? '').split('-');
    if (bounds.length > 2) return `"${part}" is not a value or a range`;
    for (const bound of bounds) {
      const value = cronValue(bound, field);
      if (value === undefined) return `"${bound}" is not a valid value (expected ${describeField(field)})`;
    }
  }
  return undefined;
}

function cronValue(text: string, field: CronField): number | undefined {
  const byName = field.names?.indexOf(text) ?? -1;
  if (byName >= 0) return byName + 1;
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= field.min && value <= field.max ? value : undefined;
}

function describeField(field: CronField): string {
  const names = field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : '';
  return `${field.min}-${field.max}${names}`;
}

/** Whether `zone` is an IANA time zone name this runtime knows (EventBridge Scheduler uses the same database). */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z_]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch (e: unknown) {
    if (e instanceof RangeError) return false;
    throw e;
  }
}
