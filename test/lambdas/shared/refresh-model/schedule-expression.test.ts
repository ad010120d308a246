import {
  isTimeZone,
  scheduleExpressionProblem,
} from '../../../../lambdas/shared/refresh-model/schedule-expression';

describe('scheduleExpressionProblem', () => {
  it.each([
    'cron(0 3 ? * MON-FRI *)',
    'cron(0 6 ? * SAT *)',
    'cron(15,45 */2 1 * ? 2026-2030)',
    'cron(0 0 L * ? *)',
    'cron(0 0 ? * 6#3 *)',
    'cron(0 0 ? * 6L *)',
    'cron(0 12 15W JAN-JUN ? *)',
    'rate(1 day)',
    'rate(5 minutes)',
    'rate(12 hours)',
  ])('accepts %s', (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  it.each([
    ['cron(0 3 * * MON-FRI)', 'needs 6 fields'],
    ['cron(0 3 * * MON-FRI *)', '"?" in exactly one'],
    ['cron(0 3 ? * ? *)', '"?" in exactly one'],
    ['cron(60 3 ? * MON *)', 'minutes "60" is not a valid value'],
    ['cron(0 24 ? * MON *)', 'hours "24"'],
    ['cron(0 3 32 * ? *)', 'day-of-month "32"'],
    ['cron(0 3 ? FOO * *)', 'month "FOO"'],
    ['cron(0 3 ? * MON 1969)', 'year "1969"'],
    ['cron(0 3 ? * MON,, *)', 'empty list element'],
    ['rate(1 days)', 'singular unit'],
    ['rate(2 hour)', 'plural unit'],
    ['rate(0 minutes)', 'at least 1'],
    ['rate(1 week)', 'rate(<positive whole number>'],
    ['at(2026-12-01T00:00:00)', 'dbrefresh start'],
    ['every day', 'must be cron(...) or rate(...)'],
  ])('rejects %s: %s', (expression, reason) => {
    expect(scheduleExpressionProblem(expression)).toContain(reason);
  });
});

describe('isTimeZone', () => {
  it.each(['UTC', 'Europe/London', 'America/Argentina/Buenos_Aires', 'Etc/GMT+2'])('accepts %s', (zone) => {
    expect(isTimeZone(zone)).toBe(true);
  });

  it.each(['', 'Mars/Olympus', '+01:00', 'Europe/Londn', 'europe london'])('rejects %j', (zone) => {
    expect(isTimeZone(zone)).toBe(false);
  });
});
