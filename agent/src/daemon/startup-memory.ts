/**
 * Start-up leaves V8's old space holding garbage: the config's parse, the modules'
 * evaluation, the first status of every site and the first health check. V8's memory
 * reducer would return it once the daemon is idle, but it keeps waiting while it sees
 * a high allocation rate: measured (--trace-memory-reducer, 3 sites), it never collected
 * in the first 70 s, and the heap kept ~24 MiB for ~19 MiB live. One memory-reducing
 * collection once those passes are over gives back ~4 MiB of RSS (of an 80 MiB target)
 * for a one-off pause of ~70 ms (two full collections; --trace-gc).
 *
 * `gc` is `globalThis.gc`, which exists only under `--expose-gc` (the unit's NODE_OPTIONS);
 * without it, nothing.
 */
export function releaseStartupMemory(gc: NodeJS.GCFunction | undefined): boolean {
  if (!gc) return false;
  // 'last-resort': full collections that compact and give the freed pages back to the system
  // (a 'regular' one keeps them pooled for reuse: no RSS saved).
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
