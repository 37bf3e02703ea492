import { readlinkSync } from 'node:fs';
import path from 'node:path';
import type { CliResult } from './cli.js';
import type { LoadHandle } from './load.js';

export interface CurrentMove {
  /** On the load's clock. */
  at: number;
  target: string;
}

/** Polls where `<sharedRoot>/current` points, on the load's clock, while `work` runs. */
export async function watchCurrent(
  sharedRoot: string,
  load: LoadHandle,
  work: () => Promise<CliResult>,
): Promise<{ result: CliResult; moves: CurrentMove[] }> {
  const link = path.join(sharedRoot, 'current');
  const moves: CurrentMove[] = [{ at: load.now(), target: readlinkSync(link) }];
  let running = true;
  const watcher = (async () => {
    while (running) {
      const target = readlinkSync(link);
      if (target !== moves.at(-1)?.target) moves.push({ at: load.now(), target });
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const result = await work();
  running = false;
  await watcher;
  return { result, moves };
}
