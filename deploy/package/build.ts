/**
 * `pnpm package [--version V] [--out DIR] [--fast]`: for wofleet-agent and wofleet
 * (controller + operator CLI), a tarball runnable wherever it is extracted and a
 * .deb built with dpkg-deb, each carrying its own Node.js runtime (README, "Artifacts").
 * Runs after `pnpm build` (it bundles the compiled dist/ entry points).
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { layOutProgram } from './bundle.js';
import { buildDeb } from './deb.js';
import { programs, ROOT } from './programs.js';
import { buildTarball } from './tarball.js';

/** Debian's upstream-version characters (deb-version(7)), starting with a digit. */
const DEB_VERSION = /^[0-9][A-Za-z0-9.+~-]*$/;

function usage(message: string): never {
  process.stderr.write(`pnpm package: error: ${message}\n`);
  process.exit(2);
}

async function workspaceVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<void> {
  let values: { version?: string | undefined; out?: string | undefined; fast?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: { version: { type: 'string' }, out: { type: 'string' }, fast: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const version = values.version ?? (await workspaceVersion());
  if (!DEB_VERSION.test(version)) usage(`invalid --version '${version}': expected a Debian version such as 0.3.0 or 0.3.0~rc1`);
  const outDir = path.resolve(values.out ?? path.join(ROOT, 'dist/packages'));
  // --fast: quick compression for tests; the default compresses for distribution.
  const compression = values.fast ? { deb: ['-Zgzip', '-z1'], gzipLevel: 1 } : { deb: ['-Zxz', '-z6'], gzipLevel: 9 };

  await mkdir(outDir, { recursive: true });
  const stage = await mkdtemp(path.join(os.tmpdir(), 'wofleet-package-'));
  try {
    for (const program of programs()) {
      const dir = path.join(stage, `${program.command}-${version}-linux-x64`);
      await layOutProgram(program, dir, version);
      for (const file of [
        await buildTarball(dir, outDir, compression.gzipLevel),
        await buildDeb(program, dir, version, outDir, compression),
      ]) {
        const { size } = await stat(file);
        process.stdout.write(`${file} ${(size / 2 ** 20).toFixed(1)} MiB\n`);
      }
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

await main();
