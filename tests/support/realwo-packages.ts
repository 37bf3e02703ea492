import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './agent.js';
import type { ExecResult, RealWoServer } from './realwo.js';

/**
 * wofleet's Debian packages on real-WordOps servers: built from this checkout's build
 * (never installed on the host), copied into a server and installed there
 * with dpkg; a server booted by its own systemd (startRealWoServer `systemd: true`) then
 * runs their units as any Debian server does.
 */
export interface Debs {
  version: string;
  agent: string;
  controller: string;
}

/**
 * `pnpm package --version V --out DIR --fast` without its `pnpm build` (the e2e tier runs
 * on the built workspace already): the two .debs it built.
 */
export async function buildDebs(version: string, outDir: string): Promise<Debs> {
  const argv = ['--import', 'tsx', 'deploy/package/build.ts', '--version', version, '--out', outDir, '--fast'];
  const r = await execa(process.execPath, argv, { cwd: REPO_ROOT, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`deploy/package/build.ts --version ${version} exited ${r.exitCode}:\n${r.all}`);
  return {
    version,
    agent: path.join(outDir, `wofleet-agent_${version}_amd64.deb`),
    controller: path.join(outDir, `wofleet-controller_${version}_amd64.deb`),
  };
}

/**
 * A copy of `deb` whose control file says `version`, its contents (the program, which
 * reports the version it was built as) unchanged: a package that is not what it says.
 * Only the control member is rebuilt (ar and tar, no recompression of the data), in a
 * second or two.
 */
export async function relabelDeb(deb: string, version: string, outDir: string): Promise<string> {
  const work = await mkdtemp(path.join(outDir, 'relabel-'));
  try {
    const ok = async (command: string, args: readonly string[]) => {
      const r = await execa(command, args, { cwd: work, reject: false, all: true });
      if (r.exitCode !== 0) throw new Error(`relabelDeb: ${command} ${args.join(' ')} exited ${r.exitCode}:\n${r.all}`);
    };
    await ok('ar', ['x', deb]);
    const members = await readdir(work);
    const controlTar = members.find((m) => m.startsWith('control.tar'));
    const dataTar = members.find((m) => m.startsWith('data.tar'));
    if (!controlTar || !dataTar) throw new Error(`relabelDeb: ${deb} has members ${members.join(', ')}`);
    await mkdir(path.join(work, 'control'));
    await ok('tar', ['-xf', controlTar, '-C', 'control']);
    const control = path.join(work, 'control', 'control');
    const fields = await readFile(control, 'utf8');
    if (!/^Version: .*$/m.test(fields)) throw new Error(`relabelDeb: no Version field in ${deb}`);
    await writeFile(control, fields.replace(/^Version: .*$/m, `Version: ${version}`));
    await rm(path.join(work, controlTar));
    await ok('tar', ['-czf', 'control.tar.gz', '-C', 'control', '.']);
    const out = path.join(outDir, `wofleet-agent_${version}_amd64.deb`);
    // dpkg wants the members in this order.
    await ok('ar', ['rc', out, 'debian-binary', 'control.tar.gz', dataTar]);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A command in the server that must succeed: its result, or an error with everything it printed. */
export async function execOk(server: RealWoServer, argv: readonly string[], env?: Record<string, string>): Promise<ExecResult> {
  const r = await server.exec(argv, env ? { env } : {});
  if (r.exitCode !== 0) throw new Error(`${server.name}: ${argv.join(' ')} exited ${r.exitCode}:\n${r.stderr}${r.stdout}`);
  return r;
}

/** The .deb copied into the server's apt cache and installed with `dpkg -i` there (no terminal: dpkg may not ask). */
export async function dpkgInstall(server: RealWoServer, deb: string): Promise<ExecResult> {
  const inside = path.join('/var/cache/apt/archives', path.basename(deb));
  await mkdir(path.dirname(server.file(inside)), { recursive: true });
  await copyFile(deb, server.file(inside));
  return execOk(server, ['dpkg', '-i', inside], { DEBIAN_FRONTEND: 'noninteractive' });
}

/** dpkg's status of a package in the server: `ii` installed, `rc` removed with its conffiles left, `un`/absent purged. */
export async function dpkgStatus(server: RealWoServer, pkg: string): Promise<{ status: string; version: string }> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format
  const r = await server.exec(['dpkg-query', '-W', '-f', '${db:Status-Abbrev}|${Version}', pkg]);
  const [status = '', version = ''] = r.stdout.split('|');
  return { status: r.exitCode === 0 ? status.trim() : 'absent', version };
}

/** What systemd says of a unit: ActiveState, UnitFileState, MainPID's user, InvocationID (new at each start). */
export async function unitStatus(
  server: RealWoServer,
  unit: string,
): Promise<{ active: string; enabled: string; mainPid: number; user: string; invocation: string }> {
  const shown = await execOk(server, ['systemctl', 'show', unit, '-p', 'ActiveState,UnitFileState,MainPID,InvocationID']);
  const props = Object.fromEntries(shown.stdout.split('\n').map((line) => line.split('=', 2) as [string, string]));
  const mainPid = Number(props.MainPID ?? 0);
  const user = mainPid > 0 ? (await server.exec(['ps', '-o', 'user=', '-p', String(mainPid)])).stdout.trim() : '';
  return { active: props.ActiveState ?? '', enabled: props.UnitFileState ?? '', mainPid, user, invocation: props.InvocationID ?? '' };
}

/** The unit's journal since it last started, message fields only. */
export async function unitJournal(server: RealWoServer, unit: string): Promise<string> {
  return (await server.exec(['journalctl', '--no-pager', '-o', 'cat', '-u', unit])).stdout;
}

/** Polls `check` until it returns a value (not undefined); after `timeoutMs`, throws saying `what` (computed then). */
export async function waitUntil<T>(what: string | (() => string), check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
