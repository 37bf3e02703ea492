import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/agent.js';

/**
 * The `wo` stand-in against recorded runs of the real WordOps 3.22 (`../shared/realwo/outputs/`):
 * for the same site registry, the stand-in must print the same bytes and exit with the
 * same code. Where they differ, the stand-in is wrong.
 */
const OUTPUTS = path.resolve(REPO_ROOT, '../shared/realwo/outputs');
const WO = path.join(REPO_ROOT, 'tests/standins/wo');

interface Recorded {
  args: string[];
  stdout: string;
  exitCode: number;
}

/** A recording: `$ wo ARGS`, the output with ESC written `\e`, then a blank line and `[exit code: N]`. */
function readRecording(name: string): Recorded {
  const text = readFileSync(path.join(OUTPUTS, name), 'utf8');
  const first = text.indexOf('\n');
  const command = text.slice(0, first);
  const tail = /\n\[exit code: (\d+)\]\n$/.exec(text);
  if (!command.startsWith('$ wo ') || !tail?.[1]) throw new Error(`${name} is not a recorded wo run`);
  return {
    args: command.slice('$ wo '.length).split(' '),
    stdout: text.slice(first + 1, tail.index).replaceAll('\\e', '\x1b'),
    exitCode: Number(tail[1]),
  };
}

/** The rows of WordOps' `sites` table as recorded (`outputs/disk/dbase-sites.txt`, Python dicts). */
function recordedSites(): Record<string, unknown>[] {
  return readFileSync(path.join(OUTPUTS, 'disk/dbase-sites.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line.replaceAll("'", '"')) as Record<string, unknown>);
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs the stand-in over a registry holding exactly `sites`. */
async function replay(args: string[], sites: Record<string, unknown>[]): Promise<{ stdout: string; exitCode: number }> {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wofleet-replay-'));
  const woDatabase = path.join(dir, 'dbase.db');
  const { insertSite } = (await import(path.join(REPO_ROOT, 'tests/standins/lib/sitedb.mjs'))) as {
    insertSite(file: string, row: Record<string, unknown>): void;
  };
  for (const site of sites) insertSite(woDatabase, site);
  const config = path.join(dir, 'standin.json');
  // Only what the replayed commands read before they answer: none of them reaches nginx, PHP or MariaDB.
  writeFileSync(
    config,
    JSON.stringify({ woDatabase, sitesRoot: '/var/www', php: { defaultVersion: '8.2', socketDir: dir, bin: 'php-fpm8.2' } }),
  );
  const r = await execa(WO, args, {
    env: { WOFLEET_STANDIN_CONFIG: config },
    stdin: 'ignore',
    reject: false,
    stripFinalNewline: false,
  });
  return { stdout: String(r.stdout), exitCode: r.exitCode ?? -1 };
}

const exampleTest = () => recordedSites().filter((s) => s.sitename === 'example.test');
const allSites = () => recordedSites();
const afterDelete = () => recordedSites().filter((s) => s.sitename !== 'example.test');

describe('the wo stand-in replays recorded real WordOps runs byte for byte', () => {
  it.each([
    ['02-info.txt', exampleTest],
    ['03-list.txt', exampleTest],
    ['05-info-missing.txt', exampleTest],
    ['04-create-existing.txt', exampleTest],
    ['09-list-after.txt', allSites],
    ['13-update-php82-same.txt', exampleTest],
    ['16-delete-missing.txt', exampleTest],
    ['17-list-final.txt', afterDelete],
  ])('%s', async (name, sites) => {
    const recorded = readRecording(name);
    const replayed = await replay(recorded.args, sites());
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.exitCode).toBe(recorded.exitCode);
  });

  it('19-fresh-info.txt (a --wpfc site: the cache type only in the nginx configuration line)', async () => {
    const recorded = readRecording('19-fresh-info.txt');
    const field = (label: string) => new RegExp(`^${label}\\t+ (.*)$`, 'm').exec(recorded.stdout)?.[1] ?? '';
    const site = {
      ...exampleTest()[0],
      cache_type: 'wpfc',
      db_name: field('DB_NAME'),
      db_user: field('DB_USER'),
      db_password: field('DB_PASS'),
    };
    const replayed = await replay(recorded.args, [site]);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.exitCode).toBe(recorded.exitCode);
  });
});
