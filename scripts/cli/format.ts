/** How the operating commands print times, durations and tables, so they all read alike. */

/** "3h 4m", "4m 5s", "12s": the two largest units, whole seconds. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return rest > 0 ? `${minutes}m ${rest}s` : `${minutes}m`;
  return `${rest}s`;
}

/** The seconds from `from` to `to`. */
export function secondsBetween(from: Date | string, to: Date | string): number {
  return (new Date(to).getTime() - new Date(from).getTime()) / 1000;
}

/** "3d 4h ago" (or "in 5m" for a time after `now`). */
export function formatAge(time: Date | string, now: Date): string {
  const seconds = secondsBetween(time, now);
  return seconds >= 0 ? `${formatDuration(seconds)} ago` : `in ${formatDuration(-seconds)}`;
}

/** A time in UTC to the second, "2026-05-01 10:00:05Z"; "-" when there is none. */
export function formatTime(time: Date | string | undefined | null): string {
  if (time === undefined || time === null || time === '') return '-';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return String(time);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A plain-text table: a header row, then one row per item, columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `label  value` lines with the labels aligned; entries without a value are left out. */
export function formatFacts(facts: readonly (readonly [string, string | undefined])[]): string {
  const shown = facts.filter((fact): fact is readonly [string, string] => fact[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown
    .map(
      ([label, value]) => `${label.padEnd(width)}  ${value.replaceAll('\n', `\n${' '.repeat(width + 2)}`)}`,
    )
    .join('\n');
}

/** What `--json` prints: the value, indented, and nothing else. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** "1 file", "2 files". */
export function plural(count: number, word: string): string {
  return `${count} ${count === 1 ? word : `${word}s`}`;
}
