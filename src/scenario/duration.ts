/** A span of clock time in milliseconds, written in files as `500ms`, `30s`, `30m`, `2h`, `1d` or `1h30m`. */
export type Duration = number;

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type DurationUnit = keyof typeof UNIT_MS;
const UNITS_LARGEST_FIRST: readonly DurationUnit[] = ['d', 'h', 'm', 's', 'ms'];

export const DURATION_EXAMPLES = 'a duration such as 500ms, 30s, 30m, 2h, 1d or 1h30m';

const PART = /(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)/y;

/**
 * Parses a duration; returns an error message instead when the text is not one. Parts must run from the
 * largest unit to the smallest, each unit once ("1h30m", not "30m1h").
 */
export function parseDuration(text: string): { ok: true; ms: Duration } | { ok: false; message: string } {
  const source = text.trim();
  if (source === '') return { ok: false, message: 'empty duration' };
  if (/^\d+(\.\d+)?$/.test(source)) return { ok: false, message: `"${source}" has no unit (ms, s, m, h or d)` };
  let total = 0;
  let position = 0;
  let previousRank = -1;
  while (position < source.length) {
    PART.lastIndex = position;
    const match = PART.exec(source);
    if (match === null) return { ok: false, message: `cannot read "${source}" as a duration` };
    const unit = match[2] as DurationUnit;
    const rank = UNITS_LARGEST_FIRST.indexOf(unit);
    if (rank <= previousRank) return { ok: false, message: `"${source}": units must go from largest to smallest, each once` };
    previousRank = rank;
    total += Number(match[1]) * UNIT_MS[unit];
    position = PART.lastIndex;
    while (source[position] === ' ') position++;
  }
  return { ok: true, ms: Math.round(total) };
}

/** Like parseDuration, with an optional leading sign: `+5m`, `-30s` (a clock offset). */
export function parseSignedDuration(text: string): { ok: true; ms: Duration } | { ok: false; message: string } {
  const source = text.trim();
  const sign = source.startsWith('-') ? -1 : 1;
  const parsed = parseDuration(/^[+-]/.test(source) ? source.slice(1) : source);
  return parsed.ok ? { ok: true, ms: sign * parsed.ms } : parsed;
}

/** The shortest exact spelling: 5400000 → "1h30m", 1500 → "1s500ms", 0 → "0ms". */
export function formatDuration(ms: Duration): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0ms';
  let rest = Math.round(ms);
  let text = '';
  for (const unit of UNITS_LARGEST_FIRST) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * UNIT_MS[unit];
  }
  return text;
}
