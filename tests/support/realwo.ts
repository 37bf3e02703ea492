/**
 * Real-WordOps test servers: each one is an overlayfs copy of the chroot that
 * ../shared/realwo/build.sh builds (the real WordOps 3.22 `wo`, WP-CLI 2.10, Debian's
 * nginx, PHP 8.2 FPM, MariaDB and Redis), running in its own long-lived namespaces with
 * its stack started by a PID 1 of ours (realwo/init.sh). The host's node binary and this
 * checkout (and ../shared) are bind-mounted read-only at their own paths, so the built
 * agent runs inside as it would on a WordOps server; a bare server (`bare: true`) gets
 * neither, nor an agent config: it is a WordOps server as an operator has it, for the
 * packages to be installed into. With `systemd: true` the PID 1 is the chroot's own
 * systemd instead (`systemd-nspawn --boot`), which starts the stack from its units and
 * runs what packages install as a Debian server does (systemctl, deb-systemd-invoke).
 * A veth pair reaches the server's nginx from the host at 10.231.N.2 (the host end is
 * 10.231.N.1).
 *
 *   <REALWO_DIR>/servers/<name>-<owner pid>-<n>/{upper,work,root}
 *
 * stop() stops the stack, the namespaces go with their last process, the overlay is
 * unmounted and its directory removed (kept when WOFLEET_KEEP_STACK=1). Servers left by
 * a run that died are cleaned up by cleanStaleServers().
 */
import { spawn as spawnChild } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { REPO_ROOT, WP645 } from './agent.js';
import { httpRequest, type HttpResponse } from './net.js';
import { childPids, signalIfAlive } from './process-tree.js';

export const REALWO_DIR = process.env.REALWO_DIR ?? '/var/tmp/wofleet-realwo';
export const REALWO_BASE_ROOT = path.join(REALWO_DIR, 'root');
const SERVERS_DIR = path.join(REALWO_DIR, 'servers');
const SHARED_DIR = path.resolve(REPO_ROOT, '..', 'shared');
const SCRIPTS = path.join(REPO_ROOT, 'tests', 'support', 'realwo');
const AGENT_CLI = path.join(REPO_ROOT, 'agent', 'dist', 'cli', 'main.js');
/** The agent's config inside every server. */
export const REALWO_AGENT_CONFIG = '/etc/wofleet/agent.yaml';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** A long-lived process inside a server (a daemon), started by RealWoServer.spawn. */
export interface ServerProcess {
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  running(): boolean;
  /** Resolves with its exit code (null when a signal ended it) once it has exited. */
  readonly exited: Promise<number | null>;
  /** The signal (SIGTERM by default), SIGKILL after graceMs; resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface RealWoServer {
  name: string;
  /** The server's / as the host sees it (the overlay mount). */
  root: string;
  /** Its nginx, from the host (veth). */
  address: string;
  /** The host's end of the veth, as the server sees it. */
  hostAddress: string;
  /** Its PID 1 as the host sees it: /proc/<pid>/ns/* are its namespaces. */
  pid: number;
  /** A program inside the server (chroot, namespaces, a clean root environment). */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  sh(script: string, options?: ExecOptions): Promise<ExecResult>;
  /** A long-lived program inside the server; stop() of the server stops it first. */
  spawn(argv: readonly string[], options?: Pick<ExecOptions, 'env'>): ServerProcess;
  /** The real `wo`. */
  wo(args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** `wofleet-agent` with the server's agent config: the checkout's build, or in a bare server the installed one on PATH. */
  agent(args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** `wofleet-agent ... --json`, parsed; throws with the output when it fails. */
  agentJson<T>(args: readonly string[]): Promise<T>;
  /** A file inside the server, by its path there. */
  file(insidePath: string): string;
  /** GET through the server's nginx with a Host header, from the host. */
  http(host: string, urlPath: string, options?: { headers?: Record<string, string>; method?: string }): Promise<HttpResponse>;
  stop(): Promise<void>;
}

export interface RealWoServerOptions {
  name: string;
  /** Written to the agent's config (YAML is a superset of JSON). Not with `bare`. */
  agentConfig?: Record<string, unknown>;
  /** No node, no checkout or ../shared mounted, no agent config written. */
  bare?: boolean;
  /** The chroot's systemd as PID 1 (systemd-nspawn --boot) instead of realwo/init.sh. */
  systemd?: boolean;
}

/** Fails loudly when the chroot is not built: the tier never passes without real WordOps. */
export function requireRealWoBuilt(): void {
  if (!existsSync(path.join(REALWO_BASE_ROOT, 'var/lib/wo/.provisioned'))) {
    throw new Error(
      `the real-WordOps chroot is not built in ${REALWO_DIR}: run bash deploy/dev/realwo.sh (it runs ../shared/realwo/build.sh)`,
    );
  }
}

const exists = (p: string) => existsSync(p);

async function isMounted(dir: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[1] === dir);
}

/** Unmounts and removes servers whose owning test process is gone. */
export async function cleanStaleServers(): Promise<void> {
  const entries = await readdir(SERVERS_DIR).catch(() => [] as string[]);
  for (const entry of entries) {
    const owner = Number(/-(\d+)-\d+$/.exec(entry)?.[1]);
    if (owner && exists(`/proc/${owner}`)) continue;
    const dir = path.join(SERVERS_DIR, entry);
    if (await isMounted(path.join(dir, 'root'))) await execa('umount', ['-l', path.join(dir, 'root')], { reject: false });
    await rm(dir, { recursive: true, force: true });
  }
}

let serial = 0;

/**
 * Adds the host link <prefix>N (`ip link add <prefix>N ...rest(N)`) for an N in 1..250 not
 * in use, and returns N. The add itself tells a name in use ("File exists": a server
 * starting beside this one, here or in another test file, took it): another N is tried.
 */
export async function addLinkWithFreeIndex(prefix: string, rest: (n: number) => readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const n = 1 + Math.floor(Math.random() * 250);
    const added = await execa('ip', ['link', 'add', `${prefix}${n}`, ...rest(n)], { reject: false });
    if (added.exitCode === 0) return n;
    if (!added.stderr.includes('File exists')) throw new Error(`ip link add ${prefix}${n}: ${added.stderr}`);
  }
  throw new Error(`no free index for a host link named ${prefix}N`);
}

export async function startRealWoServer(options: RealWoServerOptions): Promise<RealWoServer> {
  requireRealWoBuilt();
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(options.name)) throw new RangeError(`invalid server name ${options.name}`);
  if (options.bare && options.agentConfig) throw new RangeError(`server ${options.name}: a bare server gets no agent config`);
  const id = serial++;
  const dir = path.join(SERVERS_DIR, `${options.name}-${process.pid}-${id}`);
  const root = path.join(dir, 'root');
  await mkdir(path.join(dir, 'upper'), { recursive: true });
  await mkdir(path.join(dir, 'work'), { recursive: true });
  await mkdir(root, { recursive: true });
  await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${REALWO_BASE_ROOT},upperdir=${dir}/upper,workdir=${dir}/work`, root]);
  if (options.systemd) {
    // The chroot's build forbids maintainer scripts to start services (policy-rc.d exit 101);
    // a server booted by systemd is a Debian server, where they may (deb-systemd-invoke).
    await rm(path.join(root, 'usr/sbin/policy-rc.d'), { force: true });
    // Masked: flushing the journal to /var/log/journal is nothing a test server needs, and
    // under nspawn with the host's cgroups it sometimes fails, leaving systemd "degraded".
    await symlink('/dev/null', path.join(root, 'etc/systemd/system/systemd-journal-flush.service'));
  } else await copyFile(path.join(SCRIPTS, 'init.sh'), path.join(root, 'usr/local/sbin/wofleet-realwo-init.sh'));
  if (!options.bare) {
    await mkdir(path.join(root, 'etc/wofleet'), { recursive: true });
    await writeFile(
      path.join(root, REALWO_AGENT_CONFIG),
      `${JSON.stringify({ serverId: options.name, probe: { address: '127.0.0.2:80' }, ...options.agentConfig }, null, 2)}\n`,
    );
  }

  const roDirs = options.bare ? [] : [REPO_ROOT, SHARED_DIR];
  const boot: ResultPromise = options.systemd
    ? execa(
        'systemd-nspawn',
        [
          '--quiet',
          `--directory=${root}`,
          '--boot',
          // No systemd on the host to register with or to make a scope unit.
          '--register=no',
          '--keep-unit',
          '--private-network',
          `--machine=wf${process.pid}-${id}`,
          `--hostname=${options.name}`,
          '--console=passive',
          '--link-journal=no',
          '--resolv-conf=off',
          '--timezone=off',
          ...(options.bare ? [] : [`--bind-ro=${process.execPath}:/usr/local/bin/node`]),
          ...roDirs.map((d) => `--bind-ro=${d}`),
        ],
        { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', reject: false },
      )
    : execa(
        'unshare',
        [
          '--net',
          '--uts',
          '--ipc',
          '--mount',
          '--pid',
          '--fork',
          `--mount-proc=${root}/proc`,
          'bash',
          path.join(SCRIPTS, 'enter.sh'),
          root,
          options.name,
          ...(options.bare ? ['-'] : [process.execPath, ...roDirs]),
        ],
        { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', reject: false },
      );
  let bootErrors = '';
  boot.stderr?.on('data', (c: Buffer) => (bootErrors += c.toString()));
  let initPid: number | undefined;
  let vethIndex: number | undefined;
  const nsenterArgs = (argv: readonly string[], env: Record<string, string> = {}): string[] => {
    if (!initPid) throw new Error(`server ${options.name} is not running`);
    const vars = Object.entries({ PATH, HOME: '/root', USER: 'root', LANG: 'C.UTF-8', ...env }).map(([k, v]) => `${k}=${v}`);
    return [
      '-t',
      String(initPid),
      '--mount',
      '--uts',
      '--ipc',
      '--net',
      '--pid',
      '--root',
      '/usr/bin/env',
      '-i',
      '-C',
      '/',
      ...vars,
      ...argv,
    ];
  };
  const nsenter = (argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> =>
    execa('nsenter', nsenterArgs(argv, opts.env), {
      stdin: 'ignore',
      reject: false,
      timeout: opts.timeoutMs ?? 300_000,
      stripFinalNewline: false,
    }).then((r) => ({ exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }));

  const daemons = new Set<ServerProcess>();
  const spawn = (argv: readonly string[], opts: Pick<ExecOptions, 'env'> = {}): ServerProcess => {
    const child = spawnChild('nsenter', nsenterArgs(argv, opts.env), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => {
      child.once('error', (err) => {
        output += `${err.message}\n`;
        resolve(null);
      });
      child.once('close', (code) => resolve(code));
    });
    let done = false;
    const running = () => !done;
    const daemon: ServerProcess = {
      output: () => output,
      running,
      exited,
      async stop(signal = 'SIGTERM', graceMs = 15_000) {
        if (!running()) return exited;
        // nsenter forks the program into the server's PID namespace and does not pass
        // signals on: the program is nsenter's only child.
        const pid = child.pid ? (await childPids(child.pid))[0] : undefined;
        const send = (sig: NodeJS.Signals) => (pid ? signalIfAlive(pid, sig) : child.kill(sig));
        send(signal);
        const killer = setTimeout(() => send('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(killer);
        }
      },
    };
    daemons.add(daemon);
    void exited.then(() => {
      done = true;
      daemons.delete(daemon);
    });
    return daemon;
  };

  const stop = async () => {
    await Promise.all([...daemons].map((d) => d.stop()));
    // systemd-nspawn powers its container off on SIGTERM (systemd as PID 1 would re-exec itself on it).
    if (options.systemd) boot.kill('SIGTERM');
    else if (initPid) await execa('kill', ['-TERM', String(initPid)], { reject: false });
    // Not ref'd: once the server is gone, this timer must not keep the process alive for a minute.
    const exited = await Promise.race([boot.then(() => true), sleep(60_000, false, { ref: false })]);
    if (!exited) boot.kill('SIGKILL');
    await boot.catch(() => undefined);
    initPid = undefined;
    if (vethIndex !== undefined) await execa('ip', ['link', 'del', `wfh${vethIndex}`], { reject: false });
    if (await isMounted(root))
      await execa('umount', [root], { reject: false }).then((r) => (r.exitCode === 0 ? r : execa('umount', ['-l', root])));
    if (process.env.WOFLEET_KEEP_STACK !== '1') await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 120_000;
    while (!initPid) {
      if (boot.exitCode !== null && boot.exitCode !== undefined) throw new Error(`server ${options.name} did not start: ${bootErrors}`);
      if (Date.now() > deadline) throw new Error(`server ${options.name}: no init process after 120 s`);
      initPid = boot.pid ? (await childPids(boot.pid))[0] : undefined;
      // nspawn forks a helper before the container's PID 1: wait for systemd itself.
      if (initPid && options.systemd && (await readFile(`/proc/${initPid}/comm`, 'utf8').catch(() => '')).trim() !== 'systemd')
        initPid = undefined;
      if (!initPid) await sleep(100);
    }
    while (options.systemd) {
      const state = (
        await nsenter(['systemctl', 'is-system-running', '--wait'], { timeoutMs: Math.max(1, deadline - Date.now()) })
      ).stdout.trim();
      if (state === 'running') break;
      if (state === 'degraded') {
        const failed = await nsenter(['systemctl', '--failed', '--no-legend', '--plain']);
        throw new Error(`server ${options.name}: systemd degraded:\n${failed.stdout}`);
      }
      if (Date.now() > deadline) throw new Error(`server ${options.name}: systemd not running within 120 s (${state})`);
      await sleep(250);
    }
    while (!options.systemd) {
      const ready = await nsenter([
        'sh',
        '-c',
        'test -e /run/wofleet-realwo-ready && cat /run/wofleet-realwo-failed 2>/dev/null; test -e /run/wofleet-realwo-ready',
      ]);
      if (ready.exitCode === 0) {
        if (ready.stdout.trim()) throw new Error(`server ${options.name}: ${ready.stdout.trim()}`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`server ${options.name}: its stack did not start within 120 s`);
      await sleep(250);
    }
    vethIndex = await addLinkWithFreeIndex('wfh', (n) => ['type', 'veth', 'peer', 'name', `wfc${n}`]);
    const host = `wfh${vethIndex}`;
    const peer = `wfc${vethIndex}`;
    await execa('ip', ['link', 'set', peer, 'netns', String(initPid)]);
    await execa('ip', ['addr', 'add', `10.231.${vethIndex}.1/30`, 'dev', host]);
    await execa('ip', ['link', 'set', host, 'up']);
    for (const argv of [
      ['ip', 'addr', 'add', `10.231.${vethIndex}.2/30`, 'dev', peer],
      ['ip', 'link', 'set', peer, 'up'],
    ]) {
      const r = await nsenter(argv);
      if (r.exitCode !== 0) throw new Error(`server ${options.name}: ${argv.join(' ')}: ${r.stderr}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const address = `10.231.${vethIndex}.2`;
  const agentArgv = options.bare ? ['wofleet-agent'] : ['node', AGENT_CLI];
  const agent = (args: readonly string[], opts?: ExecOptions) => nsenter([...agentArgv, '--config', REALWO_AGENT_CONFIG, ...args], opts);
  return {
    name: options.name,
    root,
    address,
    hostAddress: `10.231.${vethIndex}.1`,
    pid: initPid,
    exec: nsenter,
    sh: (script, opts) => nsenter(['bash', '-c', script], opts),
    spawn,
    wo: (args, opts) => nsenter(['wo', ...args], opts),
    agent,
    async agentJson<T>(args: readonly string[]): Promise<T> {
      const r = await agent([...args, '--json']);
      if (r.exitCode !== 0) throw new Error(`wofleet-agent ${args.join(' ')} --json exited ${r.exitCode}: ${r.stderr}${r.stdout}`);
      return JSON.parse(r.stdout) as T;
    },
    file: (insidePath) => path.join(root, insidePath),
    http: (host, urlPath, opts = {}) => httpRequest(80, host, urlPath, { ...opts, address }),
    stop,
  };
}

/**
 * Bare servers booted by their own systemd, one at a time: the containers' systemds share
 * the host's cgroups (/payload/system.slice/...), and booting together they fail each
 * other's oneshot units (seen: systemd-sysctl, journal-flush, update-utmp).
 * `keep` registers each for teardown as it boots.
 */
export async function startBareSystemdServers(
  names: readonly string[],
  keep: (starting: Promise<RealWoServer>) => Promise<RealWoServer>,
): Promise<RealWoServer[]> {
  const booted: RealWoServer[] = [];
  for (const name of names) booted.push(await keep(startRealWoServer({ name, bare: true, systemd: true })));
  return booted;
}

/**
 * A real-WordOps server with the shared core on 6.4.5 and these sites made by
 * `wofleet-agent create` through the real `wo`, one after the other; throws with the
 * agent's stderr when a step fails.
 */
export async function startRealWoServerWithSites(
  name: string,
  sites: ReadonlyArray<readonly [domain: string, flags: readonly string[]]>,
): Promise<RealWoServer> {
  const server = await startRealWoServer({ name });
  try {
    for (const args of [['init', '--release', WP645], ...sites.map(([domain, flags]) => ['create', domain, ...flags])]) {
      const r = await server.agent(args);
      if (r.exitCode !== 0) throw new Error(`wofleet-agent ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
    }
    return server;
  } catch (err) {
    await server.stop();
    throw err;
  }
}
