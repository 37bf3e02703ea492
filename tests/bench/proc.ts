import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What the benches read about a process from /proc, and how they sum up samples. */

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of the process, ms. */
export function cpuMs(pid: number): number {
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[14 - 3]) + Number(fields[15 - 3])) * 1000) / CLK_TCK;
}

/** VmRSS now and VmHWM (the peak) of the process. */
export function memory(pid: number): { rssBytes: number; hwmBytes: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** 1-minute load average: the benches share the machine with whatever else runs on it. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export interface Stats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

/** Nearest-rank percentiles. */
export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
  return { count: sorted.length, p50: round(at(50)), p99: round(at(99)), max: round(sorted.at(-1) ?? Number.NaN) };
}
