import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** What the benches read about a process from /proc, and how they sum up samples. */

export const CLK_TCK = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

export interface CpuTimes {
  /** utime + stime of the process itself, ms. */
  selfMs: number;
  /** cutime + cstime: children it has waited for, ms. */
  childrenMs: number;
  /** Process start, ms since boot. */
  startedMs: number;
}

export function readCpu(pid: number): CpuTimes {
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name start at field 3 (state).
  const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  const toMs = (ticks: number) => (ticks * 1000) / CLK_TCK;
  return { selfMs: toMs(field(14) + field(15)), childrenMs: toMs(field(16) + field(17)), startedMs: toMs(field(22)) };
}

export interface MemoryFigures {
  rssBytes: number;
  /** VmHWM: the peak RSS. */
  hwmBytes: number;
  anonBytes: number;
  fileBytes: number;
}

export function readMemory(pid: number): MemoryFigures {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`no ${key} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM'), anonBytes: kb('RssAnon'), fileBytes: kb('RssFile') };
}

/** Seconds since boot, in ms (the clock of CpuTimes.startedMs). */
export function uptimeMs(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}

/** 1-minute load average: the benches share the machine with whatever else runs on it. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export interface Stats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** The machine's CPU time since boot (/proc/stat), ms summed over all cores: busy and in all. */
export function machineCpu(): { busyMs: number; totalMs: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const toMs = (ticks: number) => (ticks * 1000) / CLK_TCK;
  const busy = user + nice + system + irq + softirq + steal;
  return { busyMs: toMs(busy), totalMs: toMs(busy + idle + iowait) };
}

/** utime + stime of every live process whose command name is `comm` (e.g. postgres), ms. */
export function cpuOfCommand(comm: string): number {
  let ms = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) ms += readCpu(Number(entry)).selfMs;
    } catch {
      // Gone between the listing and the read.
    }
  }
  return ms;
}
