import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A WordPress release repacked with a change: same layout as wordpress.org's,
 * built in a temp dir at test time (fixtures stay read-only). Returns the archive
 * and its sha256, so the agent verifies it like any other release.
 */
export function repackRelease(archive: string, change: (wordpressDir: string) => void): { file: string; sha256: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wofleet-repack-'));
  execFileSync('tar', ['-xzf', archive, '-C', dir]);
  change(path.join(dir, 'wordpress'));
  const file = path.join(dir, `custom-${path.basename(archive)}`);
  execFileSync('tar', ['-czf', file, '-C', dir, 'wordpress']);
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/** A PHP fatal at the top of wp-settings.php: every request on this core dies with a 500. */
export function injectFatal(wordpressDir: string): void {
  const file = path.join(wordpressDir, 'wp-settings.php');
  const source = readFileSync(file, 'utf8');
  writeFileSync(file, source.replace('<?php', '<?php\nwofleet_test_undefined_function_fatal();'));
}

export function generatorVersion(html: string): string | undefined {
  return /<meta name="generator" content="WordPress ([^"]+)"/.exec(html)?.[1];
}
