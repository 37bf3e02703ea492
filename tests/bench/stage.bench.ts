/**
 * Staging benchmark (`pnpm bench:stage [--json]`):
 * 1. time: staging the 6.5.5 fixture (digest check + safe extraction + flush +
 *    publish) against a plain `tar -xzf` of the same archive, median of 5 runs
 *    each, interleaved so both see the same machine load; target ratio <= 2.0.
 * 2. space: bytes newly written when 6.5.5 is staged after 6.4.5 with dedupe, as
 *    a share of a full copy; target <= 60%.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '@wofleet/shared';
import { makeAgentConfig } from '../../agent/src/config/load.js';
import { layoutOf } from '../../agent/src/config/paths.js';
import { removeTree, stageRelease, type StageContext } from '../../agent/src/releases/index.js';
import { FIXTURE_645, FIXTURE_655 } from '../support/archives.js';

const RUNS = 5;
const TARGET_RATIO = 2.0;
const TARGET_NEW_SHARE = 0.6;
const runTar = promisify(execFile);

function contextIn(root: string): StageContext {
  const config = makeAgentConfig({
    sharedRoot: path.join(root, 'shared'),
    sitesRoot: path.join(root, 'www'),
    stateDir: path.join(root, 'state'),
  });
  return { config, layout: layoutOf(config), log: silentLogger() };
}

async function timeStage(root: string): Promise<number> {
  const ctx = contextIn(root);
  const started = performance.now();
  await stageRelease(ctx, { source: FIXTURE_655 });
  const elapsed = performance.now() - started;
  await removeTree(root);
  return elapsed;
}

async function timeTar(root: string): Promise<number> {
  await mkdir(root);
  const started = performance.now();
  await runTar('tar', ['-xzf', FIXTURE_655, '-C', root]);
  const elapsed = performance.now() - started;
  await rm(root, { recursive: true, force: true });
  return elapsed;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function measureDedupe(root: string): Promise<{ bytes: number; newBytes: number; linkedShare: number }> {
  const ctx = contextIn(root);
  const first = await stageRelease(ctx, { source: FIXTURE_645 });
  const second = await stageRelease(ctx, { source: FIXTURE_655, dedupeAgainst: first.path });
  return { bytes: second.bytes, newBytes: second.newBytes, linkedShare: 1 - second.newBytes / second.bytes };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'wofleet-bench-'));
  try {
    // One untimed round each: module loading, JIT and the page cache are not what is measured.
    await timeStage(path.join(scratch, 'warm-stage'));
    await timeTar(path.join(scratch, 'warm-tar'));
    const ours: number[] = [];
    const tar: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await timeStage(path.join(scratch, `stage-${i}`)));
      tar.push(await timeTar(path.join(scratch, `tar-${i}`)));
    }
    const dedupe = await measureDedupe(path.join(scratch, 'dedupe'));
    const result = {
      archive: path.basename(FIXTURE_655),
      runs: RUNS,
      stageMedianMs: Math.round(median(ours)),
      tarMedianMs: Math.round(median(tar)),
      ratio: Number((median(ours) / median(tar)).toFixed(2)),
      targetRatio: TARGET_RATIO,
      stageRunsMs: ours.map(Math.round),
      tarRunsMs: tar.map(Math.round),
      dedupe: {
        bytes: dedupe.bytes,
        newBytes: dedupe.newBytes,
        newShare: Number((dedupe.newBytes / dedupe.bytes).toFixed(3)),
        targetNewShare: TARGET_NEW_SHARE,
      },
    };
    const ok = result.ratio <= TARGET_RATIO && result.dedupe.newShare <= TARGET_NEW_SHARE;
    if (json) {
      console.log(JSON.stringify({ ...result, ok }));
    } else {
      console.log(
        `stage ${result.archive} (verify + extract + flush + publish): median ${result.stageMedianMs} ms  [${result.stageRunsMs.join(', ')}]`,
      );
      console.log(
        `tar -xzf ${result.archive}:                              median ${result.tarMedianMs} ms  [${result.tarRunsMs.join(', ')}]`,
      );
      console.log(`ratio ${result.ratio} (target <= ${TARGET_RATIO}) ${result.ratio <= TARGET_RATIO ? 'ok' : 'MISSED'}`);
      console.log(
        `dedupe 6.4.5 -> 6.5.5: ${result.dedupe.newBytes} of ${result.dedupe.bytes} bytes newly written = ${(result.dedupe.newShare * 100).toFixed(1)}% of a full copy (target <= ${TARGET_NEW_SHARE * 100}%) ${result.dedupe.newShare <= TARGET_NEW_SHARE ? 'ok' : 'MISSED'}`,
      );
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    await removeTree(scratch);
  }
}

await main();
