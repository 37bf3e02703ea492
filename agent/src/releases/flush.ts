import { runCommand, type CommandRunner } from '@wofleet/shared';

/**
 * Durability before publishing (DESIGN 5.1): a release is flushed to disk before it
 * becomes visible; the rename that publishes it is made durable with fsyncDir
 * (state/atomic-file.ts).
 */

/**
 * Flush the whole filesystem holding `dir` with one syncfs(2) (`sync -f`): one call
 * instead of an fsync per file, which costs seconds for ~3,000 files.
 */
export async function flushFilesystem(dir: string, run: CommandRunner = runCommand): Promise<void> {
  await run('sync', ['-f', dir], { timeoutMs: 5 * 60_000 });
}
