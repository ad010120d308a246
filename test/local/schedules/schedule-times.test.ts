import { nextRunTimes } from '../../../local/schedules/schedule-times';

/** The next `count` run times as ISO strings, for readable expectations. */
function next(expression: string, after: string, count = 3, timezone?: string, start?: string): string[] {
  return nextRunTimes(
    { expression, timezone },
    new Date(after),
    count,
    start ? new Date(start) : undefined,
  ).map((time) => time.toISOString());
}

describe('nextRunTimes', () => {
  it('runs an every-minute cron at the start of each next minute', () => {
    expect(next('cron(* * * * ? *)', '2025-01-10T10:00:30Z')).toEqual([
      '2025-01-10T10:01:00.000Z',
      '2025-01-10T10:02:00.000Z',
      '2025-01-10T10:03:00.000Z',
    ]);
  });

  it('never returns the time it starts from', () => {
    expect(next('cron(0 10 * * ? *)', '2025-01-10T10:00:00Z', 1)).toEqual(['2025-01-11T10:00:00.000Z']);
  });

  it('reads a cron in its time zone, winter and summer alike', () => {
    expect(next('cron(30 5 ? * MON-FRI *)', '2025-01-03T00:00:00Z', 3, 'Europe/Paris')).toEqual([
      '2025-01-03T04:30:00.000Z',
      '2025-01-06T04:30:00.000Z',
      '2025-01-07T04:30:00.000Z',
    ]);
    expect(next('cron(30 5 ? * MON-FRI *)', '2025-07-04T12:00:00Z', 1, 'Europe/Paris')).toEqual([
      '2025-07-07T03:30:00.000Z',
    ]);
    expect(next('cron(0 22 * * ? *)', '2025-01-10T12:00:00Z', 1, 'America/New_York')).toEqual([
      '2025-01-11T03:00:00.000Z',
    ]);
  });

  it('counts weekdays from 1 = Sunday, by number or by name, wrapping ranges around the week', () => {
    expect(next('cron(0 12 ? * 1 *)', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-05T12:00:00.000Z',
      '2025-01-12T12:00:00.000Z',
    ]);
    expect(next('cron(0 12 ? * FRI-MON *)', '2025-01-01T00:00:00Z', 4)).toEqual([
      '2025-01-03T12:00:00.000Z',
      '2025-01-04T12:00:00.000Z',
      '2025-01-05T12:00:00.000Z',
      '2025-01-06T12:00:00.000Z',
    ]);
  });

  it('steps through ranges and lists', () => {
    expect(next('cron(0/20 9-17/4 1,15 * ? *)', '2025-01-01T00:00:00Z', 4)).toEqual([
      '2025-01-01T09:00:00.000Z',
      '2025-01-01T09:20:00.000Z',
      '2025-01-01T09:40:00.000Z',
      '2025-01-01T13:00:00.000Z',
    ]);
    expect(next('cron(0 0 1 JAN,JUL ? *)', '2025-02-01T00:00:00Z', 2)).toEqual([
      '2025-07-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
  });

  it.each([
    ['the last day of the month (L)', 'cron(0 0 L * ? *)', ['2024-02-29', '2024-03-31', '2024-04-30']],
    ['two days before the last (L-2)', 'cron(0 0 L-2 * ? *)', ['2024-02-27', '2024-03-29', '2024-04-28']],
    ['the weekday nearest the 15th (15W)', 'cron(0 0 15W * ? *)', ['2024-02-15', '2024-03-15', '2024-04-15']],
    ['the last weekday of the month (LW)', 'cron(0 0 LW * ? *)', ['2024-02-29', '2024-03-29', '2024-04-30']],
    ['the first Monday (2#1)', 'cron(0 0 ? * 2#1 *)', ['2024-02-05', '2024-03-04', '2024-04-01']],
    ['the last Friday (6L)', 'cron(0 0 ? * 6L *)', ['2024-02-23', '2024-03-29', '2024-04-26']],
  ])('runs on %s', (_what, expression, days) => {
    expect(next(expression, '2024-02-01T12:00:00Z')).toEqual(days.map((day) => `${day}T00:00:00.000Z`));
  });

  it('moves a W day that falls on a weekend to the nearest weekday of the same month', () => {
    // 2025-03-15 is a Saturday, 2025-06-15 a Sunday, 2025-03-01 a Saturday.
    expect(next('cron(0 0 15W MAR,JUN ? 2025)', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-03-14T00:00:00.000Z',
      '2025-06-16T00:00:00.000Z',
    ]);
    expect(next('cron(0 0 1W MAR ? 2025)', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-03-03T00:00:00.000Z']);
  });

  it('stops at the last year of the year field', () => {
    expect(next('cron(0 0 1 1 ? 2030)', '2025-06-01T00:00:00Z')).toEqual(['2030-01-01T00:00:00.000Z']);
    expect(next('cron(0 0 1 1 ? 2020-2024)', '2025-06-01T00:00:00Z')).toEqual([]);
  });

  it('skips a time the clocks jump over, and runs a time they repeat only once', () => {
    // Paris: 2025-03-30 02:00 → 03:00; 2025-10-26 03:00 → 02:00.
    expect(next('cron(30 2 * * ? *)', '2025-03-29T00:00:00Z', 2, 'Europe/Paris')).toEqual([
      '2025-03-29T01:30:00.000Z',
      '2025-03-31T00:30:00.000Z',
    ]);
    expect(next('cron(0/30 * * * ? *)', '2025-10-25T23:45:00Z', 3, 'Europe/Paris')).toEqual([
      '2025-10-26T00:00:00.000Z',
      '2025-10-26T00:30:00.000Z',
      '2025-10-26T02:00:00.000Z',
    ]);
  });

  it('runs a rate schedule at its start, then every interval, as fixed durations', () => {
    const start = '2025-03-29T12:00:00Z';

    expect(next('rate(5 minutes)', '2025-03-29T11:00:00Z', 3, undefined, start)).toEqual([
      '2025-03-29T12:00:00.000Z',
      '2025-03-29T12:05:00.000Z',
      '2025-03-29T12:10:00.000Z',
    ]);
    expect(next('rate(1 day)', '2025-03-29T12:00:00Z', 2, 'Europe/Paris', start)).toEqual([
      '2025-03-30T12:00:00.000Z',
      '2025-03-31T12:00:00.000Z',
    ]);
    expect(next('rate(2 hours)', '2025-03-29T15:00:00Z', 1, undefined, start)).toEqual([
      '2025-03-29T16:00:00.000Z',
    ]);
  });

  it('rejects an expression Scheduler would refuse, saying why', () => {
    expect(() => next('cron(0 3 * * * *)', '2025-01-01T00:00:00Z')).toThrow(
      'Schedule expression "cron(0 3 * * * *)" cron(...) needs "?" in exactly one of day-of-month and day-of-week',
    );
  });
});
