import { UsageError } from '../errors.js';
import { printable } from './text.js';

/**
 * Durations as operators write them: `90s`, `5m`, `1h30m`, `2d12h` (units d, h, m, s,
 * largest first, each at most once). Where a flag was documented as seconds, a plain
 * number still means seconds (`bareSeconds`).
 */
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
const UNITS = Object.keys(UNIT_MS) as Unit[];
const DURATION_RE = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

export interface DurationOptions {
  /** A plain number is a number of seconds (flags that took seconds before durations). */
  bareSeconds?: boolean;
}

/** A duration in milliseconds; `flag` names it in the error. */
export function parseDuration(flag: string, input: string, options: DurationOptions = {}): number {
  const text = input.trim();
  if (options.bareSeconds && /^\d{1,9}$/.test(text)) return Number(text) * UNIT_MS.s;
  const match = text === '' ? null : DURATION_RE.exec(text);
  if (!match) {
    throw new UsageError(
      `invalid ${flag} '${printable(input)}': expected a duration like 90s, 5m or 1h30m (units d, h, m, s${options.bareSeconds ? ', or plain seconds' : ''})`,
    );
  }
  return UNITS.reduce((ms, unit, i) => ms + Number(match[i + 1] ?? 0) * UNIT_MS[unit], 0);
}

/** A duration in milliseconds as the units it is made of, whole seconds (`5400000` -> `1h30m`, `0` -> `0s`). */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / UNIT_MS.s) * UNIT_MS.s;
  let text = '';
  for (const unit of UNITS) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * UNIT_MS[unit];
  }
  return text || '0s';
}
