/**
 * The operator interface of `wofleet-agent`, driven through the BUILT CLI exactly as an
 * operator runs it: help for every command, one-line usage errors with exit code 2,
 * bad input refused with nothing written, the server lock, and `--json` output.
 *
 * Exit codes (README): 0 success, 1 refused or failed operation, 2 usage error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CLI, REPO_ROOT, runAgent, writeAgentConfig, WP645, WP655, type AgentHost, type CliResult } from './support/agent.js';
import { buildTarGz, minimalWordPress, truncate, writeArchive, type BuiltArchive, type TarEntrySpec } from './support/archives.js';
import { startStack, type Stack } from './support/stack.js';

// ---------------------------------------------------------------------------------------
// helpers

/** A host with no stack: a temp root whose config points every agent path inside it. */
async function tempHost(configText?: string): Promise<AgentHost> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-cli-'));
  const agentConfig = {
    sharedRoot: path.join(root, 'shared'),
    sitesRoot: path.join(root, 'www'),
    stateDir: path.join(root, 'state'),
  };
  await writeFile(path.join(root, 'agent.yaml'), configText ?? JSON.stringify(agentConfig));
  return { root, agentConfig, env: {} };
}

const nonEmptyLines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

/** A usage error: exactly one line on stderr, matching `message`, and no stack trace. */
function expectOneLine(r: CliResult, message: RegExp): void {
  const lines = nonEmptyLines(r.stderr);
  expect(r.stderr, 'no stack trace').not.toMatch(/^\s+at /m);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

/**
 * A refused operation: the `... step` progress lines a command prints while it works,
 * then exactly one error line matching `message`, and no stack trace.
 */
function expectOneErrorLine(r: CliResult, message: RegExp): void {
  const lines = nonEmptyLines(r.stderr).filter((l) => !l.startsWith('... '));
  expect(r.stderr, 'no stack trace').not.toMatch(/^\s+at /m);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

/**
 * Every entry under `root`, recursively, excluding nothing: type, path, mode, and for
 * non-directories size, mtime (ns) and link target. Directory mtimes are left out on
 * purpose: they move when a transient file (the lock, a temp extraction dir) is created
 * and removed again, which writes nothing that stays; every entry that appears,
 * disappears or changes shows up here.
 */
function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = lstatSync(p, { bigint: true });
      const rel = path.relative(root, p);
      const mode = (st.mode & 0o7777n).toString(8);
      if (st.isDirectory()) {
        out.push(`d ${rel} ${mode} uid=${st.uid}`);
        walk(p);
      } else if (st.isSymbolicLink()) {
        out.push(`l ${rel} -> ${readlinkSync(p)} mtime=${st.mtimeNs}`);
      } else {
        out.push(`${st.isFile() ? 'f' : 'o'} ${rel} ${mode} uid=${st.uid} size=${st.size} mtime=${st.mtimeNs}`);
      }
    }
  };
  walk(root);
  return out;
}

/** Lines only in `before` (-) or only in `after` (+). */
function treeDiff(before: readonly string[], after: readonly string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  return [...before.filter((l) => !b.has(l)).map((l) => `- ${l}`), ...after.filter((l) => !a.has(l)).map((l) => `+ ${l}`)];
}

/** Runs the CLI and returns its result with what changed under `root` meanwhile. */
async function runWatched(host: AgentHost, args: string[]): Promise<{ result: CliResult; changes: string[] }> {
  const before = listTree(host.root);
  const result = await runAgent(host, args);
  return { result, changes: treeDiff(before, listTree(host.root)) };
}

/**
 * Waits until nothing under `root` changes for a moment: the stack's daemons finish
 * writing their start-up log lines asynchronously, which no agent command does.
 */
async function settled(root: string): Promise<void> {
  let last = listTree(root).join('\n');
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = listTree(root).join('\n');
    if (now === last) return;
    last = now;
  }
  throw new Error(`${root} keeps changing`);
}

/** A process that only sleeps: a live lock holder that is not an agent. */
function sleeper(): ChildProcess {
  return spawn('sleep', ['600'], { stdio: 'ignore' });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const PHP_FLAGS = ['--php74', '--php80', '--php81', '--php82', '--php83', '--php84', '--php85'];
const CACHE_FLAGS = ['--wpfc', '--wpredis', '--wpsc', '--wprocket', '--wpce'];
const SHA1_A = 'a'.repeat(40);
const SHA256_B = 'b'.repeat(64);
const NOT_INITIALISED = /not initialised: run 'wofleet-agent init' first/;

// ---------------------------------------------------------------------------------------

describe('--help', () => {
  let host: AgentHost;
  beforeAll(async () => {
    host = await tempHost();
  });
  afterAll(async () => {
    await rm(host.root, { recursive: true, force: true });
  });

  const HELP: { command: string; options: string[] }[] = [
    {
      command: '',
      options: [
        '--config',
        'init',
        'create',
        'convert',
        'update',
        'rollback',
        'status',
        'list',
        'health',
        'remove',
        'releases',
        'prune',
        'baseline',
      ],
    },
    { command: 'init', options: ['--release', '--sha1', '--sha256', '--force', '--wo-plugin', '--no-wo-plugin', '--json'] },
    { command: 'create', options: ['--admin-email', '--le', '--json', ...PHP_FLAGS, ...CACHE_FLAGS] },
    { command: 'convert', options: ['--dry-run', '--revert', '--json'] },
    { command: 'update', options: ['--release', '--sha1', '--sha256', '--canary', '--force', '--json'] },
    { command: 'rollback', options: ['--to', '--restore-db', '--json'] },
    { command: 'status', options: ['--json'] },
    { command: 'list', options: ['--json'] },
    { command: 'health', options: ['--site', '--json'] },
    { command: 'remove', options: ['--all', '--json'] },
    { command: 'releases', options: ['--json'] },
    { command: 'prune', options: ['--keep', '--json'] },
    { command: 'baseline show', options: ['--json'] },
    { command: 'baseline set', options: ['--plugin', '--theme', '--option', '--file', '--json'] },
  ];

  for (const { command, options } of HELP) {
    it.concurrent(`'wofleet-agent ${command === '' ? '' : `${command} `}--help' exits 0 and names every option`, async () => {
      const args = command === '' ? [] : command.split(' ');

      const r = await runAgent(host, [...args, '--help']);

      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: wofleet-agent ${command === '' ? '' : `${command} `}`));
      for (const option of options) expect(r.stdout).toMatch(new RegExp(`(^|[\\s,])${option}([\\s,]|$)`, 'm'));
    });
  }
});

describe('usage errors', () => {
  let host: AgentHost;
  beforeAll(async () => {
    host = await tempHost();
  });
  afterAll(async () => {
    await rm(host.root, { recursive: true, force: true });
  });

  const USAGE: { name: string; args: string[]; message: RegExp }[] = [
    { name: 'an unknown command', args: ['frobnicate'], message: /^wofleet-agent: error: unknown command 'frobnicate'$/ },
    { name: 'an unknown flag', args: ['status', '--frobnicate'], message: /^wofleet-agent: error: unknown option '--frobnicate'$/ },
    { name: 'update without the required --release', args: ['update'], message: /^wofleet-agent: error: .*--release/ },
    {
      name: '--sha1 and --sha256 together',
      args: ['update', '--release', WP655, '--sha1', SHA1_A, '--sha256', SHA256_B],
      message: /--sha1 or --sha256, not both/,
    },
    { name: "'--keep abc'", args: ['prune', '--keep', 'abc'], message: /--keep must be a whole number.*'abc'/ },
    { name: 'two --phpNN flags', args: ['create', 'a.test', '--php74', '--php81'], message: /one PHP version.*--php74 --php81/ },
    { name: 'two cache flags', args: ['create', 'a.test', '--wpfc', '--wpredis'], message: /one cache type.*--wpfc --wpredis/ },
    { name: 'remove with neither a domain nor --all', args: ['remove'], message: /remove needs a DOMAIN \(or --all\)/ },
  ];

  for (const { name, args, message } of USAGE) {
    it.concurrent(`${name} exits 2 with one line on stderr and no stack trace`, async () => {
      const r = await runAgent(host, args);

      expect(r.code, r.stderr).toBe(2);
      expectOneLine(r, message);
    });
  }

  it('a config file with an unknown key exits 2 naming the key', async () => {
    const bad = await tempHost(JSON.stringify({ sharedRoot: '/var/www/shared', sharedRot: '/x' }));
    try {
      const r = await runAgent(bad, ['status']);

      expect(r.code, r.stderr).toBe(2);
      expectOneLine(r, /unknown key: sharedRot/);
    } finally {
      await rm(bad.root, { recursive: true, force: true });
    }
  });

  it('a config file with a relative sharedRoot exits 2 naming the key', async () => {
    const bad = await tempHost('sharedRoot: var/www/shared\n');
    try {
      const r = await runAgent(bad, ['status']);

      expect(r.code, r.stderr).toBe(2);
      expectOneLine(r, /sharedRoot: must be an absolute path/);
    } finally {
      await rm(bad.root, { recursive: true, force: true });
    }
  });
});

describe('every command before init', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await writeAgentConfig(stack);
    await settled(stack.root);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const BEFORE_INIT: { name: string; args: string[] }[] = [
    { name: 'status', args: ['status'] },
    { name: 'list', args: ['list'] },
    { name: 'update', args: ['update', '--release', WP655] },
    { name: 'rollback', args: ['rollback'] },
    { name: 'create', args: ['create', 'new.test'] },
    { name: 'convert', args: ['convert', 'new.test'] },
    { name: 'remove', args: ['remove', 'new.test'] },
    { name: 'releases', args: ['releases'] },
    { name: 'prune', args: ['prune'] },
    { name: 'baseline show', args: ['baseline', 'show'] },
  ];

  for (const { name, args } of BEFORE_INIT) {
    it(`${name} exits 1 saying to run init, and writes nothing`, async () => {
      const { result, changes } = await runWatched(stack, args);

      expect(result.code, result.stderr).toBe(1);
      expectOneErrorLine(result, NOT_INITIALISED);
      expect(changes).toEqual([]);
      expect(existsSync(path.join(stack.stateDir, 'lock'))).toBe(false);
    });
  }

  it('a refused mutating command does not create the state directory on a fresh server', async () => {
    const fresh = await tempHost();
    try {
      const { result, changes } = await runWatched(fresh, ['prune']);

      expect(result.code, result.stderr).toBe(1);
      expectOneErrorLine(result, NOT_INITIALISED);
      expect(changes).toEqual([]);
    } finally {
      await rm(fresh.root, { recursive: true, force: true });
    }
  });
});

describe('on an initialised server with one site', () => {
  const SITE = 'upper.example.com';
  let stack: Stack;
  let currentRelease: string;

  beforeAll(async () => {
    stack = await startStack();
    await writeAgentConfig(stack);
    const init = await runAgent(stack, ['init', '--release', WP645]);
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
    const create = await runAgent(stack, ['create', SITE]);
    if (create.code !== 0) throw new Error(`create failed: ${create.stderr}\n${stack.logs()}`);
    currentRelease = path.basename(await readlink(path.join(stack.sharedRoot, 'current')));
    await settled(stack.root);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('bad input is refused with a clear message and nothing written', () => {
    const LIMITS = { maxUnpackedBytes: 100_000, maxFiles: 40 };
    let archiveDir: string;
    const archives = new Map<string, BuiltArchive>();

    /** `update --release FILE --sha256 HEX`: the archive's own digest unless told otherwise. */
    const updateWith = (name: string, sha256?: string): string[] => {
      const a = archives.get(name);
      if (!a) throw new Error(`no archive ${name}`);
      return ['update', '--release', a.file, '--sha256', sha256 ?? a.sha256];
    };

    beforeAll(async () => {
      archiveDir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-cli-archives-'));
      const base = minimalWordPress();
      const specs: Record<string, readonly TarEntrySpec[] | Buffer> = {
        dotdot: [...base, { path: 'wordpress/../../evil.php', content: '<?php // escaped\n' }],
        absolute: [...base, { path: path.join(stack.root, 'evil.php'), content: '<?php // absolute\n' }],
        symlink: [...base, { path: 'wordpress/evil', type: 'symlink', linkpath: '/etc/passwd' }],
        hardlink: [...base, { path: 'wordpress/evil', type: 'hardlink', linkpath: 'wordpress/index.php' }],
        device: [...base, { path: 'wordpress/evil', type: 'chardev' }],
        oversize: [...base, { path: 'wordpress/big.bin', content: Buffer.alloc(LIMITS.maxUnpackedBytes + 1) }],
        overcount: [...base, ...Array.from({ length: LIMITS.maxFiles }, (_, i) => ({ path: `wordpress/f${i}.php`, content: '<?php\n' }))],
        valid: base,
        truncated: truncate(buildTarGz([...base, { path: 'wordpress/pad.txt', content: 'x'.repeat(20_000) }])),
        notop: base.map((e) => ({ ...e, path: e.path.replace(/^wordpress\//, 'wp/') })),
      };
      for (const [name, entries] of Object.entries(specs)) {
        archives.set(name, await writeArchive(archiveDir, `${name}.tar.gz`, entries, { digest: 'none' }));
      }
      await writeAgentConfig(stack, { limits: LIMITS });
      await settled(stack.root);
    });
    afterAll(async () => {
      await writeAgentConfig(stack);
      await rm(archiveDir, { recursive: true, force: true });
    });

    const long = `${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(62)].join('.')}`;
    const BAD: { name: string; args: () => string[]; code: 1 | 2; message: RegExp }[] = [
      { name: "domain '../x'", args: () => ['create', '../x'], code: 2, message: /invalid domain '\.\.\/x'/ },
      { name: "domain 'a;rm -rf /'", args: () => ['create', 'a;rm -rf /'], code: 2, message: /invalid domain 'a;rm -rf \/'/ },
      { name: "domain '-rf'", args: () => ['create', '--', '-rf'], code: 2, message: /invalid domain '-rf'/ },
      { name: 'an empty domain', args: () => ['create', ''], code: 2, message: /invalid domain: empty/ },
      { name: 'a 254-character domain', args: () => ['create', long], code: 2, message: /invalid domain: 254 characters \(253 at most\)/ },
      {
        name: "'UPPER.Example.COM', the existing upper.example.com in other case",
        args: () => ['create', 'UPPER.Example.COM'],
        code: 1,
        message: /site upper\.example\.com already exists/,
      },
      { name: "version '6.x'", args: () => ['update', '--release', '6.x'], code: 2, message: /invalid WordPress version '6\.x'/ },
      { name: "version 'v6.5.5'", args: () => ['update', '--release', 'v6.5.5'], code: 2, message: /invalid WordPress version 'v6\.5\.5'/ },
      {
        name: "'--sha1 xyz'",
        args: () => ['update', '--release', WP655, '--sha1', 'xyz'],
        code: 2,
        message: /invalid --sha1 'xyz': expected 40 hex digits/,
      },
      {
        name: "an archive with a '../' entry",
        args: () => updateWith('dotdot'),
        code: 1,
        message: /unsafe archive entry 'wordpress\/\.\.\/\.\.\/evil\.php': '\.\.' path segment/,
      },
      {
        name: 'an archive with an absolute path',
        args: () => updateWith('absolute'),
        code: 1,
        message: /unsafe archive entry '\/.*evil\.php': absolute path/,
      },
      {
        name: 'an archive with a symlink',
        args: () => updateWith('symlink'),
        code: 1,
        message: /unsafe archive entry 'wordpress\/evil': symlink/,
      },
      {
        name: 'an archive with a hardlink',
        args: () => updateWith('hardlink'),
        code: 1,
        message: /unsafe archive entry 'wordpress\/evil': hardlink/,
      },
      {
        name: 'an archive with a device',
        args: () => updateWith('device'),
        code: 1,
        message: /unsafe archive entry 'wordpress\/evil': device file/,
      },
      {
        name: 'an archive over the unpacked size cap',
        args: () => updateWith('oversize'),
        code: 1,
        message: /unpacked size cap of 100000 bytes/,
      },
      {
        name: 'an archive over the file count cap',
        args: () => updateWith('overcount'),
        code: 1,
        message: /file count cap: more than 40 files/,
      },
      {
        name: 'an archive with the wrong digest',
        args: () => updateWith('valid', 'f'.repeat(64)),
        code: 1,
        message: /digest mismatch: the archive's sha256 is not the expected f{64}$/,
      },
      { name: 'a truncated gzip archive', args: () => updateWith('truncated'), code: 1, message: /corrupt or truncated gzip data/ },
      {
        name: 'an archive without the wordpress/ top dir',
        args: () => updateWith('notop'),
        code: 1,
        message: /outside the top directory wordpress\//,
      },
      {
        name: 'an unknown release id',
        args: () => ['rollback', '--to', 'wp-9.9.9-20990101T000000Z'],
        code: 1,
        message: /unknown release wp-9\.9\.9-20990101T000000Z/,
      },
      {
        name: 'an unknown release version',
        args: () => ['rollback', '--to', '9.9.9'],
        code: 1,
        message: /no staged release of WordPress 9\.9\.9/,
      },
      { name: 'convert of an unknown site', args: () => ['convert', 'unknown.test'], code: 1, message: /unknown site unknown\.test/ },
      { name: 'remove of an unknown site', args: () => ['remove', 'unknown.test'], code: 1, message: /unknown site unknown\.test/ },
    ];

    for (const { name, args, code, message } of BAD) {
      it(`${name} exits ${code} with one clear line and writes nothing`, async () => {
        const { result, changes } = await runWatched(stack, args());

        expect(result.code, result.stderr).toBe(code);
        expectOneErrorLine(result, message);
        expect(changes).toEqual([]);
      });
    }
  });

  describe('the server lock', () => {
    const lockFile = () => path.join(stack.stateDir, 'lock');
    const HOLDER_COMMAND = 'update --release 6.5.5';
    let holder: ChildProcess;

    beforeAll(async () => {
      holder = sleeper();
      const pid = holder.pid;
      if (pid === undefined) throw new Error('could not start the lock holder');
      await writeFile(lockFile(), JSON.stringify({ pid, command: HOLDER_COMMAND, startedAt: new Date().toISOString() }));
    });
    afterAll(async () => {
      holder.kill('SIGKILL');
      await rm(lockFile(), { force: true });
    });

    const MUTATING: { name: string; args: () => string[] }[] = [
      { name: 'init', args: () => ['init'] },
      { name: 'create', args: () => ['create', 'new.test'] },
      { name: 'convert', args: () => ['convert', SITE] },
      { name: 'update', args: () => ['update', '--release', WP655] },
      { name: 'rollback', args: () => ['rollback', '--to', currentRelease] },
      { name: 'remove', args: () => ['remove', SITE] },
      { name: 'prune', args: () => ['prune'] },
      { name: 'baseline set', args: () => ['baseline', 'set', '--theme', ''] },
    ];

    for (const { name, args } of MUTATING) {
      it(`${name} fails at once with exit 1 naming the holder's pid and command, writing nothing`, async () => {
        const { result, changes } = await runWatched(stack, args());

        expect(result.code, result.stderr).toBe(1);
        expectOneErrorLine(
          result,
          new RegExp(`another wofleet command is running \\(pid ${holder.pid}: ${HOLDER_COMMAND.replace(/\./g, '\\.')}\\)`),
        );
        expect(changes).toEqual([]);
      });
    }

    it('a read command still answers while the lock is held', async () => {
      const r = await runAgent(stack, ['releases', '--json']);

      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id)).toEqual([currentRelease]);
    });
  });

  describe('--json output of read commands', () => {
    it('status --json parses and names the current release', async () => {
      const r = await runAgent(stack, ['status', '--json']);

      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { current?: { id: string } }).current?.id).toBe(currentRelease);
    });

    it('list --json parses and lists the site', async () => {
      const r = await runAgent(stack, ['list', '--json']);

      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { domain: string }[]).map((s) => s.domain)).toEqual([SITE]);
    });

    it('releases --json parses and marks the current release', async () => {
      const r = await runAgent(stack, ['releases', '--json']);

      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ id: currentRelease, marks: ['current', 'canary'] })]);
    });

    it('health --json parses and reports the server healthy', async () => {
      const r = await runAgent(stack, ['health', '--json']);

      expect(r.code, r.stdout).toBe(0);
      expect((JSON.parse(r.stdout) as { level: string }).level).toBe('ok');
    });

    it('baseline show --json parses into plugins, theme and options', async () => {
      const r = await runAgent(stack, ['baseline', 'show', '--json']);

      expect(r.code, r.stderr).toBe(0);
      expect(Object.keys(JSON.parse(r.stdout) as object).sort()).toEqual(['options', 'plugins', 'theme']);
    });
  });

  // Last: it switches the server to 6.5.5.
  describe('a running update', () => {
    it('makes a concurrent create fail at once, naming the update and its pid', async () => {
      const update = runAgent(stack, ['update', '--release', WP655]);
      const held = await waitFor('the update to take the lock', async () => {
        const text = await readFile(path.join(stack.stateDir, 'lock'), 'utf8').catch(() => undefined);
        return text === undefined ? undefined : (JSON.parse(text) as { pid: number; command: string });
      });

      const second = await runAgent(stack, ['create', 'second.test']);
      const stillHeld = await readFile(path.join(stack.stateDir, 'lock'), 'utf8').catch(() => '');
      const first = await update;

      expect(held.command).toBe(`update --release ${WP655}`);
      expect(second.code, second.stderr).toBe(1);
      expectOneErrorLine(second, new RegExp(`another wofleet command is running \\(pid ${held.pid}: update --release `));
      expect(JSON.parse(stillHeld)).toMatchObject({ pid: held.pid });
      expect(first.code, first.stderr).toBe(0);
      expect(existsSync(path.join(stack.sitesRoot, 'second.test'))).toBe(false);
    });
  });
});

describe('init --wo-plugin and --no-wo-plugin', () => {
  /** A temp host with WordOps' plugin locations inside it; `wordops: false` leaves out WordOps' /etc/wo. */
  async function woHost(wordops = true): Promise<AgentHost & { pluginDir: string; pluginConfigDir: string }> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-cli-wo-'));
    const pluginDir = path.join(root, 'var/lib/wo/plugins');
    const pluginConfigDir = path.join(root, 'etc/wo/plugins.d');
    await mkdir(path.dirname(pluginDir), { recursive: true });
    if (wordops) await mkdir(pluginConfigDir, { recursive: true });
    const host = {
      root,
      agentConfig: {
        sharedRoot: path.join(root, 'shared'),
        sitesRoot: path.join(root, 'www'),
        stateDir: path.join(root, 'state'),
        woPlugin: { dir: pluginDir, configDir: pluginConfigDir },
      },
      env: {},
    };
    await writeAgentConfig(host);
    return { ...host, pluginDir, pluginConfigDir };
  }

  it('refuses a server without WordOps with one line and exit 1, laying out nothing', async () => {
    const host = await woHost(false);
    try {
      const { result, changes } = await runWatched(host, ['init', '--release', WP645, '--wo-plugin']);

      expect(result.code, result.stderr).toBe(1);
      expectOneErrorLine(result, /^wofleet-agent: error: WordOps plugin config directory .*\/etc\/wo\/plugins\.d is missing/);
      expect(changes).toEqual([]);
    } finally {
      await rm(host.root, { recursive: true, force: true });
    }
  });

  it('installs a plugin that runs this node, this agent and this config; plain init leaves it; --no-wo-plugin removes it', async () => {
    const host = await woHost();
    const conf = path.join(host.pluginConfigDir, 'multitenancy.conf');
    const module = path.join(host.pluginDir, 'multitenancy.py');
    try {
      const installed = await runAgent(host, ['init', '--release', WP645, '--wo-plugin']);
      expect(installed.code, installed.stderr).toBe(0);
      expect(installed.stdout).toContain(`wo multitenancy: installed (${module}, ${conf})`);
      const text = await readFile(conf, 'utf8');
      expect(text).toMatch(/^enable_plugin = true$/m);
      expect(text).toContain(`\nnode = ${process.execPath}\n`);
      expect(text).toContain(`\nagent = ${AGENT_CLI}\n`);
      expect(text).toContain(`\nconfig = ${path.join(host.root, 'agent.yaml')}\n`);
      expect(await readFile(module, 'utf8')).toBe(await readFile(path.join(REPO_ROOT, 'agent/wo-plugin/multitenancy.py'), 'utf8'));

      const again = await runWatched(host, ['init', '--wo-plugin', '--json']);
      expect(again.result.code, again.result.stderr).toBe(0);
      expect(JSON.parse(again.result.stdout)).toMatchObject({ woPlugin: { action: 'unchanged' } });
      const plain = await runWatched(host, ['init']);
      expect(plain.result.code, plain.result.stderr).toBe(0);
      expect(plain.result.stdout).not.toContain('wo multitenancy');
      for (const changes of [again.changes, plain.changes]) expect(changes.filter((c) => /(etc|var)\/.*multitenancy/.test(c))).toEqual([]);

      const removed = await runAgent(host, ['init', '--no-wo-plugin']);
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toContain('wo multitenancy: removed');
      expect(existsSync(conf) || existsSync(module)).toBe(false);
      const absent = await runAgent(host, ['init', '--no-wo-plugin']);
      expect(absent.stdout).toContain('wo multitenancy: absent');
    } finally {
      await rm(host.root, { recursive: true, force: true });
    }
  });
});
