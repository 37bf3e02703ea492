import { readFile } from 'node:fs/promises';

/** The processes `pid` forked that still run (its main thread's children, from /proc). */
export async function childPids(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return children
    .trim()
    .split(/\s+/)
    .map(Number)
    .filter((n) => n > 0);
}

/** kill(2) that accepts a process that has just exited. */
export function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
