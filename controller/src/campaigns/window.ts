import { printable, UsageError } from '@wofleet/shared';
import type { MaintenanceWindow } from './model.js';

/**
 * Maintenance windows: `--window "Mon-Fri 01:00-05:00 UTC"`. Days are a list of
 * names or ranges (`Mon,Wed,Fri`, `Sat-Sun`, `Fri-Mon` wraps), times are HH:MM in the
 * window's zone (UTC or IANA), and the closing time may be at or before the opening
 * time: the window then closes the next day (`Fri 22:00-02:00` runs into Saturday).
 * The days name the day the window OPENS on.
 */
const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;
const MINUTES_PER_DAY = 24 * 60;

export function parseWindow(input: string): MaintenanceWindow {
  const text = input.trim().replace(/\s+/g, ' ');
  const bad = (why: string) => new UsageError(`invalid --window '${printable(input)}': ${why}`);
  const parts = text.split(' ');
  if (parts.length !== 3) throw bad('expected DAYS HH:MM-HH:MM ZONE (e.g. "Mon-Fri 01:00-05:00 UTC")');
  const [daysText = '', timesText = '', zoneText = ''] = parts;
  const days = parseDays(daysText, bad);
  const times = TIME_RE.exec(timesText);
  if (!times) throw bad(`'${printable(timesText)}' is not HH:MM-HH:MM`);
  const startMinute = Number(times[1]) * 60 + Number(times[2]);
  const endMinute = Number(times[3]) * 60 + Number(times[4]);
  if (endMinute > MINUTES_PER_DAY) throw bad('the closing time is past 24:00');
  if (startMinute === endMinute) throw bad('the window opens and closes at the same time');
  return { text, days, startMinute, endMinute, timeZone: parseTimeZone(zoneText, bad) };
}

function parseDays(text: string, bad: (why: string) => UsageError): number[] {
  const days = new Set<number>();
  for (const item of text.split(',')) {
    const [from, to, extra] = item.split('-');
    if (extra !== undefined || from === undefined) throw bad(`'${printable(item)}' is not a day or a day range`);
    const first = dayNumber(from, bad);
    const last = to === undefined ? first : dayNumber(to, bad);
    // A range may wrap over the week's end: Fri-Mon is Fri, Sat, Sun, Mon.
    for (let d = first; ; d = (d % 7) + 1) {
      days.add(d);
      if (d === last) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

function dayNumber(name: string, bad: (why: string) => UsageError): number {
  const index = DAY_NAMES.indexOf(name.toLowerCase() as (typeof DAY_NAMES)[number]);
  if (index < 0) throw bad(`unknown day '${printable(name)}' (Mon, Tue, Wed, Thu, Fri, Sat, Sun)`);
  return index + 1;
}

function parseTimeZone(zone: string, bad: (why: string) => UsageError): string {
  if (zone.toUpperCase() === 'UTC') return 'UTC';
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw bad(`unknown time zone '${printable(zone)}' (UTC or an IANA zone like Europe/Berlin)`);
  }
}

/** Weekday (1 = Mon) and minute of the day of `at` in `timeZone`. */
function localTime(at: Date, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = DAY_NAMES.indexOf(get('weekday').toLowerCase() as (typeof DAY_NAMES)[number]) + 1;
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** True when `at` falls inside the window (no window: always open). */
export function isWindowOpen(window: MaintenanceWindow | undefined, at: Date): boolean {
  if (!window) return true;
  const { day, minute } = localTime(at, window.timeZone);
  if (window.startMinute < window.endMinute) {
    return window.days.includes(day) && minute >= window.startMinute && minute < window.endMinute;
  }
  // Crosses midnight: open from start to 24:00 on a listed day, and from 00:00 to end the day after one.
  const yesterday = day === 1 ? 7 : day - 1;
  return (window.days.includes(day) && minute >= window.startMinute) || (window.days.includes(yesterday) && minute < window.endMinute);
}
