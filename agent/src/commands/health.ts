import { statfs } from 'node:fs/promises';
import net from 'node:net';
import { describeError } from '@wofleet/shared';
import { foreignOwnedSharedEntries } from '../layout/ownership.js';
import { managedFiles } from '../layout/shared-files.js';
import type { Engine } from '../engine.js';
import { verifyCoreFiles } from '../releases/index.js';
import { requireState } from '../state/store.js';
import { access } from 'node:fs/promises';
import { proveSites, type SiteProof } from '../health/proof.js';
import { inspect, probeSites, type SiteHealth } from './inspect.js';
import { probedSiteFacts, type SiteFacts } from './site-facts.js';

export type Level = 'ok' | 'degraded' | 'unhealthy';
export interface Check {
  name: string;
  level: Level;
  detail: string;
}
export interface HealthResult {
  level: Level;
  checks: Check[];
  /** PHP, cache and SSL of each site checked, as WordOps records them. */
  siteFacts: SiteFacts[];
  /** With `deep`: the serving proof of each site checked (health/proof.ts). */
  proofs?: SiteProof[];
}

const RANK: Record<Level, number> = { ok: 0, degraded: 1, unhealthy: 2 };

/**
 * Everything that must hold for the sites to be served off the shared core.
 * Exit status follows the worst check: 0 healthy, 2 degraded, 1 unhealthy.
 */
export async function healthCommand(engine: Engine, options: { site?: string; deep?: boolean }): Promise<HealthResult> {
  await requireState(engine.layout);
  const checks: Check[] = [];
  const add = (name: string, level: Level, detail: string) => checks.push({ name, level, detail });
  const snap = await inspect(engine);

  for (const [link, release, failLevel] of [
    ['current', snap.current, 'unhealthy'],
    ['canary', snap.canary, 'degraded'],
  ] as const) {
    if (!release) {
      add(`${link} link`, failLevel, 'missing or pointing at an incomplete release');
      continue;
    }
    const complete = await verifyCoreFiles(release.path).then(
      () => undefined,
      (err: unknown) => describeError(err),
    );
    add(`${link} link`, complete ? failLevel : 'ok', complete ?? `${release.id} (WordPress ${release.version}, db ${release.dbVersion})`);
  }
  const missing: string[] = [];
  for (const file of managedFiles(engine.layout))
    if (
      !(await access(file.path).then(
        () => true,
        () => false,
      ))
    )
      missing.push(file.path);
  add(
    'shared files',
    missing.length ? 'unhealthy' : 'ok',
    missing.length ? `missing: ${missing.join(', ')}` : 'dispatcher, bootstrap, MU-plugin present',
  );

  const foreign = await foreignOwnedSharedEntries(engine.layout);
  add(
    'shared ownership',
    foreign.length ? 'degraded' : 'ok',
    foreign.length
      ? `not owned by the agent (PHP could write there; run 'init --force'): ${foreign.join(', ')}`
      : 'shared tree owned by the agent',
  );

  const sockets = await engine.fpm.sockets();
  const dead: string[] = [];
  for (const socket of sockets) if (!(await canConnect(socket, engine.config.probe.timeoutMs))) dead.push(socket);
  if (sockets.length === 0) add('php-fpm', 'unhealthy', `no php*-fpm.sock in ${engine.config.php.socketDir}`);
  else
    add(
      'php-fpm',
      dead.length ? 'unhealthy' : 'ok',
      dead.length ? `not accepting: ${dead.join(', ')}` : `${sockets.length} pool(s) accepting`,
    );

  const nginx = await engine.run(engine.config.nginx.bin, ['-t', ...engine.config.nginx.testArgs], { timeoutMs: 30_000 }).then(
    () => undefined,
    (err: unknown) => describeError(err),
  );
  add('nginx -t', nginx ? 'unhealthy' : 'ok', nginx ?? 'configuration ok');

  const sites = await probeSites(engine, snap, options.site);
  if (options.site && sites.length === 0) add(`site ${options.site}`, 'unhealthy', 'not a shared-core site on this server');
  for (const site of sites) {
    if (!site.ok) add(`site ${site.domain}`, 'unhealthy', site.problem);
    else
      add(
        `site ${site.domain}`,
        site.problem ? 'degraded' : 'ok',
        site.problem ?? `WordPress ${site.report.wp_version}, db ${site.report.db_version}, PHP ${site.report.php_version}`,
      );
  }
  const proofs = options.deep ? await proveEach(engine, sites) : undefined;
  for (const proof of proofs ?? []) {
    add(
      `proof ${proof.site}`,
      proof.ok ? 'ok' : 'unhealthy',
      proof.ok ? `rendered on ${proof.release} (db ${proof.dbVersion}) in ${proof.renderMs.toFixed(0)} ms` : (proof.error ?? 'failed'),
    );
  }
  const dbDown = sites.filter((s) => !s.ok).length;
  add(
    'databases',
    dbDown ? 'unhealthy' : 'ok',
    dbDown ? `${dbDown} site(s) could not answer from their DB` : `${sites.length} site DB(s) answered`,
  );

  const fs = await statfs(engine.layout.sharedRoot);
  const free = fs.bavail * fs.bsize;
  const low = free < engine.config.limits.minFreeBytes;
  add('disk free', low ? 'degraded' : 'ok', `${(free / 1024 ** 3).toFixed(1)} GiB free on ${engine.layout.sharedRoot}`);

  const level = checks.reduce<Level>((worst, c) => (RANK[c.level] > RANK[worst] ? c.level : worst), 'ok');
  return { level, checks, siteFacts: await probedSiteFacts(engine, sites), ...(proofs ? { proofs } : {}) };
}

/** The serving proof of each site, against the release its link points at. */
async function proveEach(engine: Engine, sites: readonly SiteHealth[]): Promise<SiteProof[]> {
  const provable = sites.flatMap((s) =>
    s.expected
      ? [{ domain: s.domain, expected: { wpVersion: s.expected.version, dbVersion: s.expected.dbVersion, release: s.expected.id } }]
      : [],
  );
  const proven = new Map((await proveSites(engine, provable)).map((p) => [p.site, p]));
  return sites.map(
    (s) =>
      proven.get(s.domain) ?? {
        site: s.domain,
        ok: false,
        release: '',
        dbVersion: 0,
        renderMs: 0,
        error: `${s.domain}: no complete release behind its link`,
      },
  );
}

function canConnect(socket: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.connect(socket);
    const timer = setTimeout(() => {
      conn.destroy();
      resolve(false);
    }, timeoutMs);
    conn.on('connect', () => {
      clearTimeout(timer);
      conn.end();
      resolve(true);
    });
    conn.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
