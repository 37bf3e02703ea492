/**
 * The real WP-CLI for every test tier: the pinned 2.10.0 phar from ../shared (never
 * copied into the repository) on the host's PHP 8.2 CLI, behind a small `wp` launcher
 * that the stack puts on PATH and in the agent config.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveProgram } from './daemon.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const VENDOR_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'realwo', 'vendor');
export const WP_CLI_PHAR = path.join(VENDOR_DIR, 'wp-cli-2.10.0.phar');

let verified: { php: string; phar: string } | undefined;

/** PHP 8.2 and the phar, checked against its recorded sha256 once per process. */
function verifiedWpCli(): { php: string; phar: string } {
  if (verified) return verified;
  const php = resolveProgram('php8.2');
  const expected = fs.readFileSync(`${WP_CLI_PHAR}.sha256`, 'utf8').trim().split(/\s+/)[0];
  const actual = createHash('sha256').update(fs.readFileSync(WP_CLI_PHAR)).digest('hex');
  if (actual !== expected) {
    throw new Error(`${WP_CLI_PHAR}: sha256 is ${actual}, expected ${expected} (from ${WP_CLI_PHAR}.sha256)`);
  }
  verified = { php, phar: WP_CLI_PHAR };
  return verified;
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * Writes `<dir>/wp` and returns its path. It runs WP-CLI offline and isolated from
 * this machine's home directory: no update check; cache, packages and global config
 * under `stateDir` unless the caller names its own (the agent names a config file to
 * pin `core download` for WordOps). It does not allow root by itself: callers that run
 * it as root pass --allow-root, as WordOps does (the agent runs it as the web user,
 * which cannot enter `stateDir`: WP-CLI then works without a cache or global config).
 */
export function writeWpLauncher(dir: string, stateDir: string): string {
  const { php, phar } = verifiedWpCli();
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const defaults = {
    WP_CLI_CACHE_DIR: path.join(stateDir, 'cache'),
    WP_CLI_PACKAGES_DIR: path.join(stateDir, 'packages'),
    WP_CLI_CONFIG_PATH: path.join(stateDir, 'config.yml'),
  };
  const file = path.join(dir, 'wp');
  const exports = [
    'export WP_CLI_DISABLE_AUTO_CHECK_UPDATE=1',
    ...Object.entries(defaults).map(([name, value]) => `: \${${name}:=${shellQuote(value)}}; export ${name}`),
  ];
  fs.writeFileSync(
    file,
    [
      '#!/bin/sh',
      '# Real WP-CLI 2.10.0 for the test stack (tests/support/wp-cli.ts).',
      ...exports,
      `exec ${shellQuote(php)} ${shellQuote(phar)} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return file;
}
