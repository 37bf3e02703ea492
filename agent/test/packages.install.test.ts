import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installerArgv, startInstaller } from '../src/packages/install.js';
import { packageFile, stagePackage, type PackageSource } from '../src/packages/store.js';
import { buildTestDeb, dpkgInto, installedVersion, makeDpkgRoot } from '../../tests/support/agent-debs.js';

/**
 * `wofleet agents upgrade` on one server, with real dpkg into a temp root (never the
 * host's): a package from the controller is kept only when its SHA-256 matches, and the
 * installer runs detached, so it finishes on its own while the agent goes on.
 */
let dir: string;
let stateDir: string;
let root: string;
const debs = new Map<string, Buffer>();

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The controller's stream: the package in 64 KiB chunks. */
const fromController: PackageSource = async function* (version) {
  const deb = debs.get(version);
  if (!deb) throw new Error(`no package ${version}`);
  for (let at = 0; at < deb.length; at += 65_536) yield deb.subarray(at, at + 65_536);
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-packages-'));
  stateDir = path.join(dir, 'state');
  root = path.join(dir, 'root');
  await makeDpkgRoot(root);
  for (const v of ['0.2.0', '0.3.0']) debs.set(v, (await buildTestDeb(dir, v)).bytes);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function waitFor<T>(read: () => Promise<T>, want: T, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while ((await read()) !== want) {
    if (Date.now() > until) throw new Error(`still ${String(await read())}, not ${String(want)}, after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('staging a package', () => {
  it('keeps the package under stateDir/packages when its SHA-256 matches', async () => {
    const deb = debs.get('0.3.0') as Buffer;
    const file = await stagePackage(stateDir, '0.3.0', sha256(deb), fromController);
    expect(file).toBe(path.join(stateDir, 'packages', 'wofleet-agent_0.3.0.deb'));
    expect(sha256(await readFile(file))).toBe(sha256(deb));
  });

  it('refuses bytes that do not match, keeping nothing', async () => {
    const other = sha256(Buffer.from('not this package'));
    await expect(stagePackage(stateDir, '0.2.0', other, fromController)).rejects.toThrow(`package 0.2.0 does not match sha256 ${other}`);
    expect(await readdir(path.join(stateDir, 'packages'))).toEqual(['wofleet-agent_0.3.0.deb']);
  });

  it('refuses a version that is no version before it names a file', () => {
    expect(() => packageFile(stateDir, '../../etc/passwd')).toThrow("invalid wofleet-agent version '../../etc/passwd'");
  });
});

describe('installing a package', () => {
  it('runs the installer in a transient systemd unit when systemd is the init', () => {
    expect(installerArgv('/p.deb', { install: ['dpkg', '-i'], unitSuffix: '0.3.0-1' }, true)).toEqual([
      'systemd-run',
      '--collect',
      '--quiet',
      '--unit=wofleet-agent-install-0.3.0-1',
      // dpkg's output in the log beside the package, as without systemd.
      '--property=StandardOutput=append:/p.deb.install.log',
      '--property=StandardError=append:/p.deb.install.log',
      '--',
      'dpkg',
      '-i',
      '/p.deb',
    ]);
  });

  it('installs detached with real dpkg, upgrades, and goes back to the previous package', async () => {
    const options = { install: dpkgInto(root), systemdMarker: path.join(dir, 'no-systemd'), unitSuffix: 'test' };
    await stagePackage(stateDir, '0.2.0', sha256(debs.get('0.2.0') as Buffer), fromController);

    // Each install is waited for through dpkg's own database; its exit too, as dpkg holds its lock until then.
    expect(await (await startInstaller(packageFile(stateDir, '0.2.0'), options)).exited).toBe(0);
    await waitFor(() => installedVersion(root), '0.2.0');
    expect(await (await startInstaller(packageFile(stateDir, '0.3.0'), options)).exited).toBe(0);
    await waitFor(() => installedVersion(root), '0.3.0');
    expect(await readFile(path.join(root, 'usr/share/wofleet-test/version'), 'utf8')).toBe('0.3.0\n');

    // Rollback: the previous package, installed over the newer one.
    expect(await (await startInstaller(packageFile(stateDir, '0.2.0'), options)).exited).toBe(0);
    await waitFor(() => installedVersion(root), '0.2.0');
    expect(await readFile(path.join(root, 'usr/share/wofleet-test/version'), 'utf8')).toBe('0.2.0\n');
    expect(await readFile(`${packageFile(stateDir, '0.2.0')}.install.log`, 'utf8')).toContain('Setting up wofleet-agent (0.2.0)');
  });

  it('says so when the installer cannot be started', async () => {
    await expect(
      startInstaller(packageFile(stateDir, '0.3.0'), { install: ['/nonexistent/dpkg'], systemdMarker: '/nonexistent', unitSuffix: 'x' }),
    ).rejects.toThrow("cannot start the installer '/nonexistent/dpkg'");
  });
});
