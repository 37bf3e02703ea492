import { printable, UsageError } from '@wofleet/shared';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d{1,6})(s|m|h|d)$/;

/** A duration like `90s`, `30m`, `1h` or `7d`, in milliseconds; `flag` names it in the error. */
export function parseDuration(flag: string, input: string): number {
  const match = DURATION_RE.exec(input.trim());
  if (!match) throw new UsageError(`invalid ${flag} '${printable(input)}': expected a number and a unit s, m, h or d (e.g. 1h)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A duration in milliseconds as the largest whole unit that fits (`3600000` -> `1h`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms % UNIT_MS[unit] === 0 && ms >= UNIT_MS[unit]) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
