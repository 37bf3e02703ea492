import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A WordPress release repacked with a change: same layout as wordpress.org's,
 * built in a temp dir at test time (fixtures stay read-only). Returns the archive
 * and its sha256, so the agent verifies it like any other release.
 */
export function repackRelease(
  archive: string,
  change: (wordpressDir: string) => void,
  options: { into?: string } = {},
): { file: string; sha256: string } {
  const dir = mkdtempSync(path.join(options.into ?? os.tmpdir(), 'wofleet-repack-'));
  execFileSync('tar', ['-xzf', archive, '-C', dir]);
  change(path.join(dir, 'wordpress'));
  const file = path.join(dir, `custom-${path.basename(archive)}`);
  execFileSync('tar', ['-czf', file, '-C', dir, 'wordpress']);
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/**
 * `archive` and the digest files beside it copied into `mirrorDir` (an agent's
 * releases.mirrorDir, the only place StageRelease may name a file): the copy's path.
 */
export function copyIntoMirror(mirrorDir: string, archive: string): string {
  mkdirSync(mirrorDir, { recursive: true, mode: 0o755 });
  const copy = path.join(mirrorDir, path.basename(archive));
  for (const suffix of ['', '.sha256', '.sha1']) {
    if (existsSync(`${archive}${suffix}`)) copyFileSync(`${archive}${suffix}`, `${copy}${suffix}`);
  }
  return copy;
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
