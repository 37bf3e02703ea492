/**
 * `pnpm package --fast` (deploy/package/build.ts), built once: the tarballs run on their
 * own Node with no node on PATH, the controller's migrations and PGlite files travel
 * inside, and the .debs hold the layout, conffiles, maintainer scripts and units the
 * README describes. Installing them on a bare server is tests/package.bare-server.test.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/agent.js';

const VERSION = '0.2.0~pkgtest1';
const TARBALLS = { agent: `wofleet-agent-${VERSION}-linux-x64`, controller: `wofleet-${VERSION}-linux-x64` } as const;
const DEBS = { agent: `wofleet-agent_${VERSION}_amd64.deb`, controller: `wofleet-controller_${VERSION}_amd64.deb` } as const;

let root: string;
let out: string;
/** Where the tarballs are extracted. */
let opt: string;
/** Where the .debs are unpacked (dpkg-deb -x): the tree an install leaves. */
let installed: string;
/** A PATH holding only what the sh wrappers use: no node anywhere on it. */
let bareEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-package-test-'));
  out = path.join(root, 'out');
  opt = path.join(root, 'opt');
  await execa(process.execPath, ['--import', 'tsx', 'deploy/package/build.ts', '--fast', '--version', VERSION, '--out', out], {
    cwd: REPO_ROOT,
  });
  await mkdir(opt);
  for (const name of Object.values(TARBALLS)) await execa('tar', ['-xzf', path.join(out, `${name}.tar.gz`), '-C', opt]);
  installed = path.join(root, 'installed');
  await mkdir(installed);
  for (const deb of Object.values(DEBS)) await execa('dpkg-deb', ['-x', path.join(out, deb), installed]);
  const bin = path.join(root, 'path');
  await mkdir(bin);
  for (const tool of ['dirname', 'readlink', 'mkdir']) {
    const found = ['/usr/bin', '/bin'].map((dir) => path.join(dir, tool)).find((file) => existsSync(file));
    if (!found) throw new Error(`${tool} not found in /usr/bin or /bin`);
    await symlink(found, path.join(bin, tool));
  }
  bareEnv = { PATH: bin, HOME: path.join(root, 'home') };
}, 280_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

function run(program: string, args: readonly string[], env: NodeJS.ProcessEnv = bareEnv) {
  return execa(program, args, { env, extendEnv: false, reject: false });
}

describe('the tarballs', () => {
  it('run --help on the Node they carry, with no node on PATH', async () => {
    expect(existsSync(path.join(bareEnv.PATH as string, 'node'))).toBe(false);
    const agent = await run(path.join(opt, TARBALLS.agent, 'bin/wofleet-agent'), ['--help']);
    expect(agent.stderr).toBe('');
    expect(agent.exitCode).toBe(0);
    expect(agent.stdout).toMatch(/^Usage: wofleet-agent /);
    const controller = await run(path.join(opt, TARBALLS.controller, 'bin/wofleet'), ['--help']);
    expect(controller.stderr).toBe('');
    expect(controller.exitCode).toBe(0);
    expect(controller.stdout).toMatch(/^Usage: wofleet /);
    expect((await run(path.join(opt, TARBALLS.agent, 'bin/wofleet-agent'), ['--version'])).stdout).toBe(`wofleet-agent ${VERSION}`);
    expect((await run(path.join(opt, TARBALLS.controller, 'bin/wofleet'), ['--version'])).stdout).toBe(`wofleet ${VERSION}`);
    const node = await run(path.join(opt, TARBALLS.agent, 'bin/node'), ['-p', 'process.version']);
    expect(node.stdout).toBe('v24.22.3');
    // The wrapper gave Node a compile cache under $HOME/.cache.
    expect(readdirSync(path.join(root, 'home/.cache/wofleet')).length).toBeGreaterThan(0);
  });

  it('carry --version V in their code (esbuild define), read by the agent for its heartbeats', async () => {
    const app = path.join(opt, TARBALLS.agent, 'app');
    expect(existsSync(path.join(app, 'agent.mjs'))).toBe(true);
    expect(existsSync(path.join(opt, TARBALLS.controller, 'app/wofleet.mjs'))).toBe(true);
    const code = await Promise.all(
      readdirSync(app)
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => readFile(path.join(app, f), 'utf8')),
    );
    expect(code.some((text) => text.includes(JSON.stringify(VERSION)))).toBe(true);
    expect(code.some((text) => text.includes('WOFLEET_BUILD_VERSION'))).toBe(false);
  });

  it('migrate the embedded PGlite database from the shipped migrations', async () => {
    const dataDir = path.join(root, 'controller-data');
    const migrated = await run(path.join(opt, TARBALLS.controller, 'bin/wofleet'), ['controller', 'migrate', '--data-dir', dataDir], {
      ...bareEnv,
      WOFLEET_LOG_LEVEL: 'silent',
    });
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toContain(`database schema up to date (PGlite in ${dataDir}/pglite)`);
    expect(migrated.exitCode).toBe(0);
  }, 120_000);
});

/** `dpkg-deb --contents` as "path" or "path -> target" lines. */
async function contents(deb: string): Promise<string[]> {
  const { stdout } = await execa('dpkg-deb', ['--contents', path.join(out, deb)]);
  return stdout.split('\n').map((line) => line.replace(/^\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+/, ''));
}

async function control(deb: string, file: string): Promise<string> {
  return (await execa('dpkg-deb', ['--info', path.join(out, deb), file])).stdout;
}

describe('the .debs', () => {
  it.each([
    {
      deb: DEBS.agent,
      files: [
        './usr/bin/wofleet-agent -> ../lib/wofleet-agent/bin/wofleet-agent',
        './usr/lib/wofleet-agent/bin/node',
        './usr/lib/wofleet-agent/bin/wofleet-agent',
        './usr/lib/wofleet-agent/app/agent.mjs',
        './usr/lib/wofleet-agent/app/assets/proto/wofleet/v1/agent.proto',
        './usr/lib/wofleet-agent/app/assets/wo-plugin/multitenancy.py',
        './lib/systemd/system/wofleet-agent.service',
        './etc/wofleet/agent.yaml',
        './usr/share/doc/wofleet-agent/copyright',
      ],
      conffiles: '/etc/wofleet/agent.yaml',
      fields: ['Package: wofleet-agent', `Version: ${VERSION}`, 'Architecture: amd64'],
    },
    {
      deb: DEBS.controller,
      files: [
        './usr/bin/wofleet -> ../lib/wofleet-controller/bin/wofleet',
        './usr/lib/wofleet-controller/bin/node',
        './usr/lib/wofleet-controller/app/wofleet.mjs',
        './usr/lib/wofleet-controller/app/pglite.wasm',
        './usr/lib/wofleet-controller/app/pglite.data',
        './usr/lib/wofleet-controller/app/initdb.wasm',
        './usr/lib/wofleet-controller/app/assets/migrations/0000_initial.sql',
        './usr/lib/wofleet-controller/app/assets/migrations/meta/_journal.json',
        './usr/lib/wofleet-controller/app/assets/proto/wofleet/v1/controller.proto',
        './lib/systemd/system/wofleet-controller.service',
        './etc/wofleet/controller.env',
        './usr/share/doc/wofleet-controller/copyright',
      ],
      conffiles: '/etc/wofleet/controller.env',
      fields: ['Package: wofleet-controller', `Version: ${VERSION}`, 'Architecture: amd64', 'adduser'],
    },
  ])(
    '$deb: the program under /usr/lib, its command in /usr/bin, the unit, the config skeleton as a conffile',
    async ({ deb, files, conffiles, fields }) => {
      const listed = await contents(deb);
      for (const file of files) expect(listed).toContain(file);
      expect(await control(deb, 'conffiles')).toBe(conffiles);
      const controlFile = await control(deb, 'control');
      for (const field of fields) expect(controlFile).toContain(field);
    },
  );

  it('the env skeleton names every setting `wofleet controller serve` reads from the environment', async () => {
    const skeleton = await readFile(path.join(installed, 'etc/wofleet/controller.env'), 'utf8');
    const configDir = 'controller/src/config';
    const sources = [...readdirSync(path.join(REPO_ROOT, configDir)).map((file) => path.join(configDir, file)), 'shared/src/logger.ts'];
    const read = new Set<string>();
    for (const file of sources) {
      for (const match of (await readFile(path.join(REPO_ROOT, file), 'utf8')).matchAll(/env\.((?:WOFLEET_|DATABASE_URL)[A-Z_]*)/g))
        read.add(match[1] as string);
    }
    expect(read.size).toBeGreaterThan(10);
    for (const name of read) expect(skeleton).toMatch(new RegExp(`^#${name}=`, 'm'));
  });

  it('maintainer scripts: never enable or start a unit, restart on upgrade only if running, purge removes config and data', async () => {
    for (const [deb, unit, data] of [
      [DEBS.agent, 'wofleet-agent.service', '/var/lib/wofleet'],
      [DEBS.controller, 'wofleet-controller.service', '/var/lib/wofleet-controller'],
    ] as const) {
      const postinst = await control(deb, 'postinst');
      expect(postinst).not.toMatch(/\b(enable|start)\b/);
      expect(postinst).toContain(`deb-systemd-invoke try-restart ${unit}`);
      expect(postinst).toContain('[ -d /run/systemd/system ]');
      expect(await control(deb, 'prerm')).toContain(`deb-systemd-invoke stop ${unit}`);
      const postrm = await control(deb, 'postrm');
      expect(postrm).toMatch(new RegExp(`purge\\)\\n\\s*rm -rf ${data}\\b`));
      expect(postrm).not.toMatch(/^\s*rm .*\/var\/www/m);
      for (const script of [postinst, postrm]) await execa('sh', ['-n'], { input: script });
    }
  });

  it('the units pass systemd-analyze verify in the installed tree', async () => {
    // The targets the units name come from the host's systemd.
    await execa('cp', ['-rn', '/lib/systemd/system/.', path.join(installed, 'lib/systemd/system/')]);
    const verify = await execa(
      'systemd-analyze',
      ['verify', `--root=${installed}`, 'wofleet-agent.service', 'wofleet-controller.service'],
      {
        reject: false,
      },
    );
    expect(verify.stderr).toBe('');
    expect(verify.exitCode).toBe(0);
  });
});
