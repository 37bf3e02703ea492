/**
 * Switch benchmark (`pnpm bench:switch [--json] [--only stock|basedir] [--plain-index] [--concurrency N] [--cap-seconds N] [--quiet-seconds N]`).
 *
 * With HTTP load running on 3 sites, the time from the switch of `current` until every
 * site serves the new core, and the failed requests meanwhile, for:
 *   (a) wofleet: the full `wofleet-agent update --release 6.5.5 --force` CLI run
 *       (stage, rename(2) of `current`, opcache reset in each FPM pool, DB upgrades,
 *       verification); the clock starts when `current` is seen pointing at the new
 *       release (inotify on the shared root), not when the CLI starts;
 *   (b) a plain `ln -sfn releases/<6.5.5> current` with no opcache reset (the 6.5.5
 *       release is staged in-process beforehand with the agent's own stageRelease, so
 *       both variants switch between identical trees);
 *   (c) only with `--plain-index`: as (b), but each site's index.php replaced by
 *       WordPress' own (`require __DIR__ . '/wp/wp-blog-header.php'`, no readlink front
 *       controller): the stock setup, which shows the bench does see realpath-cache /
 *       opcache staleness. Opt-in because it waits up to the cap (~2.5 min per table).
 * GNU coreutils' `ln -sfn` (9.1 here) itself creates a temporary link and rename(2)s it
 * over `current` (checked with strace), so it has no moment without `current` either;
 * older or non-GNU ln unlinks first.
 * Each variant gets a fresh stack (init 6.4.5 + 3 sites) so neither inherits the
 * other's caches or DB state. Two tables: stock PHP-FPM (no open_basedir, realpath
 * cache on: the worst case) and WordOps' open_basedir (realpath cache off).
 *
 * "all proven" = from the switch until the agent's own serving proof (health/proof.ts: the front
 * page rendered through nginx with the theme and plugins, marker with a fresh nonce) passed
 * on the new core for every site, proofs run back to back per site from the switch on
 * (proof-watch.ts). Then, on a fresh stack of 20 sites without load, what a full proof
 * costs per site against the cheap health report (proof-cost.ts; --proof-sites 0 skips it).
 *
 * "all new (answered)" = max over sites of (end of the first 6.5.5 answer after which no
 * request sent after the switch got 6.4.5) - switch time; "all new (sent)" is the same
 * to the SEND time of that request, i.e. without its response time (tests/support/load.ts
 * convergence()). Targets for (a): all proven <= 2 s and 0 failed requests (exit code 1
 * when missed).
 */
import { execFile } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { readlink, realpath, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { engineFor, runAgent, writeAgentConfig, WP645, WP655 } from '../support/agent.js';
import { convergence, startLoad, windowStats, type Convergence, type LoadHandle, type LoadReport } from '../support/load.js';
import { startStack, type Stack } from '../support/stack.js';
import { stageRelease } from '../../agent/src/releases/index.js';
import { measureProofCost, type ProofCost } from './proof-cost.js';
import { proveUntilServing, type ProvenTimes } from './proof-watch.js';
import { countFlag, flagValue, formatTable, numberFlag, progress, type Cell } from './report.js';

const OLD = '6.4.5';
const NEW = '6.5.5';
const SITES = ['s1.test', 's2.test', 's3.test'] as const;
/** Requests in flight (default 8, twice the FPM workers: every worker busy plus a queue, as under real load). */
const CONCURRENCY = Math.floor(numberFlag('--concurrency', 8));
const FPM_CHILDREN = 4;
const WARMUP_MS = 2_000;
const TARGET_MS = 2_000;
const CAP_MS = numberFlag('--cap-seconds', 150) * 1000;
/** Convergence is only believed after this long with no stale answer (every FPM worker is hit many times). */
const QUIET_MS = numberFlag('--quiet-seconds', 5) * 1000;
/** Sites and rounds of the proof-cost measurement (0 sites: skipped). */
const PROOF_SITES = countFlag('--proof-sites', 20);
const PROOF_ROUNDS = Math.floor(numberFlag('--proof-rounds', 5));
const run = promisify(execFile);

type VariantName = 'wofleet' | 'ln-sfn' | 'ln-sfn-plain-index';
type TableName = 'stock' | 'basedir';

interface VariantResult {
  variant: VariantName;
  label: string;
  openBasedir: boolean;
  /** ms from the switch until every site ANSWERED only 6.5.5 (incl. response time); undefined = not within the cap. */
  timeToAllNewMs?: number;
  /** ms from the switch until every request SENT got 6.5.5 (excl. response time). */
  timeToAllNewSentMs?: number;
  converged: boolean;
  /** ms from the switch until the serving proof passed on the new core for every site; undefined = not within the cap. */
  timeToAllProvenMs?: number;
  provenPerSiteMs: Record<string, number | undefined>;
  proofAttempts: Record<string, number>;
  capMs: number;
  perSiteMs: Record<string, number | undefined>;
  /** Load before the switch, for comparison with p99 after it. */
  beforeSwitch: { requests: number; p50Ms: number; p99Ms: number };
  staleAnswers: number;
  /** Whole load run (warm-up, switch, settle). */
  requests: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests sent after the switch only. */
  afterSwitch: { requests: number; non2xx: number; errors: number; p50Ms: number; p99Ms: number; problems: Record<string, number> };
  /** How long the switching command itself ran (update CLI / ln). */
  commandMs: number;
  commandExit: number | null;
  note?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function prepareStack(openBasedir: boolean): Promise<Stack> {
  const stack = await startStack({ openBasedir, fpmChildren: FPM_CHILDREN });
  try {
    await writeAgentConfig(stack);
    await cli(stack, ['init', '--release', WP645]);
    for (const site of SITES) await cli(stack, ['create', site]);
    return stack;
  } catch (err) {
    await stack.stop().catch(() => undefined);
    throw err;
  }
}

async function cli(stack: Stack, args: string[]): Promise<void> {
  const r = await runAgent(stack, args);
  if (r.code !== 0) throw new Error(`wofleet-agent ${args.join(' ')} exited ${r.code}: ${r.stderr}\n${stack.logs()}`);
}

/**
 * Notes on the load clock when `current` first points at a `wp-<version>-*` release.
 * inotify reports the rename at once; a 2 ms readlink poll backs it up in case an event
 * arrives without a file name.
 */
function watchSwitch(stack: Stack, load: LoadHandle, version: string): { switched: Promise<number>; close(): void } {
  const current = path.join(stack.sharedRoot, 'current');
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let resolveSwitched: (at: number) => void = () => {};
  const switched = new Promise<number>((resolve) => (resolveSwitched = resolve));
  let done = false;
  const check = async () => {
    const at = load.now();
    const target = await readlink(current).catch(() => '');
    if (!done && path.basename(target).startsWith(`wp-${version}-`)) {
      done = true;
      resolveSwitched(at);
      close();
    }
  };
  const close = () => {
    watcher?.close();
    if (timer) clearInterval(timer);
  };
  watcher = watch(stack.sharedRoot, (_event, name) => {
    if (name === null || name === 'current') void check();
  });
  timer = setInterval(() => void check(), 2);
  return { switched, close };
}

/** Keeps the load running until every site has served only `NEW` for QUIET_MS, or the cap passes. */
async function settle(load: LoadHandle, switchAt: number, commandDone: Promise<unknown>): Promise<void> {
  let commandFinished = false;
  void commandDone.finally(() => (commandFinished = true));
  for (;;) {
    await sleep(250);
    if (!commandFinished) continue;
    const c = convergence(load.snapshot({ samples: true }), switchAt, NEW, SITES);
    const t = load.now();
    if (c.allNewMs !== undefined && t >= switchAt + c.allNewMs + QUIET_MS) return;
    if (t >= switchAt + CAP_MS) return;
  }
}

async function warmUp(stack: Stack): Promise<LoadHandle> {
  // Bounded: the longest phase is the cap plus the update CLI; the margin covers the rest.
  const load = startLoad({ port: stack.port, hosts: SITES, concurrency: CONCURRENCY, maxSeconds: CAP_MS / 1000 + 300 });
  await sleep(WARMUP_MS);
  const before = load.snapshot();
  const bad = SITES.filter((s) => {
    const h = before.byHost[s];
    return !h || h.requests === 0 || h.errors + h.non2xx > 0 || Object.keys(h.versions).join() !== OLD;
  });
  if (bad.length > 0) {
    await load.stop();
    throw new Error(`before the switch, ${bad.join(', ')} did not serve only ${OLD}: ${JSON.stringify(before.byHost)}\n${stack.logs()}`);
  }
  return load;
}

function summarise(
  variant: VariantName,
  label: string,
  openBasedir: boolean,
  report: LoadReport,
  switchAt: number,
  command: { ms: number; exit: number | null },
  proven: ProvenTimes,
  note?: string,
): VariantResult {
  const c: Convergence = convergence(report, switchAt, NEW, SITES);
  const converged = c.allNewMs !== undefined && c.allNewMs <= CAP_MS;
  const after = windowStats(report, switchAt);
  const before = windowStats(report, 0, switchAt);
  const perSiteMs: Record<string, number | undefined> = {};
  let staleAnswers = 0;
  for (const site of SITES) {
    const h = c.byHost[site];
    perSiteMs[site] = h?.convergedAt === undefined ? undefined : Math.round(h.convergedAt - switchAt);
    staleAnswers += h?.staleAnswers ?? 0;
  }
  const provenPerSiteMs: Record<string, number | undefined> = {};
  for (const site of SITES) {
    const at = proven.perSite[site];
    provenPerSiteMs[site] = at === undefined ? undefined : Math.round(at - switchAt);
  }
  const provenTimes = Object.values(provenPerSiteMs);
  const allProven = provenTimes.every((t) => t !== undefined);
  return {
    variant,
    label,
    openBasedir,
    timeToAllNewMs: converged ? c.allNewMs : undefined,
    timeToAllNewSentMs: converged ? c.allNewSentMs : undefined,
    converged,
    timeToAllProvenMs: allProven ? Math.max(...(provenTimes as number[])) : undefined,
    provenPerSiteMs,
    proofAttempts: proven.attempts,
    capMs: CAP_MS,
    perSiteMs,
    beforeSwitch: { requests: before.requests, p50Ms: before.p50Ms, p99Ms: before.p99Ms },
    staleAnswers,
    requests: report.requests,
    non2xx: report.non2xx,
    errors: report.errors,
    p50Ms: report.p50Ms,
    p99Ms: report.p99Ms,
    maxMs: report.maxMs,
    afterSwitch: {
      requests: after.requests,
      non2xx: after.non2xx,
      errors: after.errors,
      p50Ms: after.p50Ms,
      p99Ms: after.p99Ms,
      problems: after.problems,
    },
    commandMs: Math.round(command.ms),
    commandExit: command.exit,
    ...(note ? { note } : {}),
  };
}

async function measureWofleet(openBasedir: boolean): Promise<VariantResult> {
  const stack = await prepareStack(openBasedir);
  try {
    const load = await warmUp(stack);
    const watcher = watchSwitch(stack, load, NEW);
    progress(`  wofleet-agent update --release ${path.basename(WP655)} --force (load running)`);
    const started = load.now();
    const update = runAgent(stack, ['update', '--release', WP655, '--force']).then((r) => ({ ...r, ms: load.now() - started }));
    const outcome = await Promise.race([watcher.switched.then((at) => ({ at })), update.then((r) => ({ r }))]);
    let switchAt: number;
    if ('at' in outcome) {
      switchAt = outcome.at;
    } else {
      // The CLI ended before `current` moved: it failed before the switch.
      watcher.close();
      await load.stop();
      throw new Error(`update exited ${outcome.r.code} without switching: ${outcome.r.stderr}\n${stack.logs()}`);
    }
    const proving = proveUntilServing(engineFor(stack), load, SITES, NEW, CAP_MS);
    await settle(load, switchAt, update);
    const result = await update;
    const proven = await proving;
    const report = await load.stop();
    const note = result.code === 0 ? undefined : `update exited ${result.code}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`;
    return summarise(
      'wofleet',
      'wofleet-agent update --force',
      openBasedir,
      report,
      switchAt,
      { ms: result.ms, exit: result.code },
      proven,
      note,
    );
  } finally {
    await stack.stop();
  }
}

/** WordPress' own index.php for a core in htdocs/wp: PHP resolves wp/ through its realpath cache. */
const PLAIN_INDEX = `<?php
define( 'WP_USE_THEMES', true );
require __DIR__ . '/wp/wp-blog-header.php';
`;

async function measureLn(openBasedir: boolean, plainIndex: boolean): Promise<VariantResult> {
  const stack = await prepareStack(openBasedir);
  try {
    if (plainIndex) {
      // writeFile keeps the file's owner and mode; only the content changes.
      for (const site of SITES) await writeFile(path.join(stack.sitesRoot, site, 'htdocs', 'index.php'), PLAIN_INDEX);
    }
    // Stage 6.5.5 exactly as `update` does, but leave the switch to ln.
    const engine = engineFor(stack);
    const staged = await stageRelease(
      { config: engine.config, layout: engine.layout, log: engine.log, run: engine.run },
      { source: WP655, expectVersion: NEW, dedupeAgainst: await realpath(engine.layout.current) },
    );
    const load = await warmUp(stack);
    const watcher = watchSwitch(stack, load, NEW);
    progress(`  ln -sfn releases/${staged.id} current (no opcache reset, load running)`);
    const started = load.now();
    const ln = run('ln', ['-sfn', path.join('releases', staged.id), engine.layout.current]).then(
      () => ({ exit: 0 as number | null, ms: load.now() - started }),
      (err: NodeJS.ErrnoException & { code?: number | string }) => ({
        exit: typeof err.code === 'number' ? err.code : 1,
        ms: load.now() - started,
      }),
    );
    const switchAt = await Promise.race([watcher.switched, sleep(10_000).then(() => undefined)]);
    const lnResult = await ln;
    if (switchAt === undefined) {
      watcher.close();
      await load.stop();
      throw new Error(`ln -sfn exited ${lnResult.exit} and current never pointed at ${staged.id}`);
    }
    const proving = proveUntilServing(engine, load, SITES, NEW, CAP_MS);
    await settle(load, switchAt, ln);
    const proven = await proving;
    const report = await load.stop();
    return plainIndex
      ? summarise('ln-sfn-plain-index', "ln -sfn, WordPress' index.php", openBasedir, report, switchAt, lnResult, proven)
      : summarise('ln-sfn', 'ln -sfn, no opcache reset', openBasedir, report, switchAt, lnResult, proven);
  } finally {
    await stack.stop();
  }
}

function cellTime(ms: number | undefined): string {
  return ms === undefined ? `> ${CAP_MS / 1000} s (cap)` : `${Math.round(ms)} ms`;
}

function printTable(title: string, results: readonly VariantResult[]): void {
  console.log(`\n${title}`);
  const rows: Cell[][] = results.map((r) => [
    r.label,
    cellTime(r.timeToAllProvenMs),
    cellTime(r.timeToAllNewMs),
    cellTime(r.timeToAllNewSentMs),
    r.staleAnswers,
    r.requests,
    r.non2xx,
    r.errors,
    r.afterSwitch.non2xx + r.afterSwitch.errors,
    r.p99Ms,
    r.beforeSwitch.p50Ms,
    r.afterSwitch.p50Ms,
    r.commandMs,
  ]);
  console.log(
    formatTable(
      [
        'variant',
        'all proven',
        'all new (answered)',
        'all new (sent)',
        'stale',
        'requests',
        'non-2xx',
        'errors',
        'failed after switch',
        'p99 ms',
        'p50 before',
        'p50 after',
        'command ms',
      ],
      rows,
    ),
  );
  for (const r of results) {
    const sites = Object.entries(r.perSiteMs)
      .map(([s, ms]) => `${s} ${ms === undefined ? '-' : `${ms} ms`}`)
      .join(', ');
    const problems = Object.entries(r.afterSwitch.problems)
      .map(([k, n]) => `${k} x${n}`)
      .join(', ');
    const proven = Object.entries(r.provenPerSiteMs)
      .map(([s, ms]) => `${s} ${ms === undefined ? '-' : `${ms} ms`} (${r.proofAttempts[s] ?? 0} proofs)`)
      .join(', ');
    console.log(`  ${r.label}: per site ${sites}${problems ? `; failures: ${problems}` : ''}${r.note ? `; ${r.note}` : ''}`);
    console.log(`  ${r.label}: proven per site ${proven}`);
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const only = flagValue('--only') as TableName | undefined;
  const plainIndex = process.argv.includes('--plain-index');
  if (only !== undefined && only !== 'stock' && only !== 'basedir') throw new Error('--only takes stock or basedir');
  const tables: { name: TableName; openBasedir: boolean; title: string }[] = [
    { name: 'stock' as const, openBasedir: false, title: 'stock PHP-FPM (no open_basedir, realpath cache on: worst case)' },
    { name: 'basedir' as const, openBasedir: true, title: "WordOps' open_basedir (realpath cache off)" },
  ].filter((t) => only === undefined || t.name === only);
  const started = Date.now();
  const loadBefore = os.loadavg();
  const lnVersion = (await run('ln', ['--version'])).stdout.split('\n')[0] ?? '';
  const out: { table: TableName; openBasedir: boolean; title: string; variants: VariantResult[] }[] = [];
  for (const t of tables) {
    progress(`${t.title}: wofleet switch (fresh stack: init ${OLD} + ${SITES.length} sites)`);
    const ours = await measureWofleet(t.openBasedir);
    progress(`${t.title}: ln -sfn switch (fresh stack)`);
    const ln = await measureLn(t.openBasedir, false);
    const variants = [ours, ln];
    if (plainIndex) {
      progress(`${t.title}: ln -sfn switch with WordPress' own index.php (fresh stack)`);
      variants.push(await measureLn(t.openBasedir, true));
    }
    out.push({ table: t.name, openBasedir: t.openBasedir, title: t.title, variants });
  }
  let proofCost: ProofCost | undefined;
  if (PROOF_SITES > 0) {
    progress(`proof cost: fresh stack, ${PROOF_SITES} sites, ${PROOF_ROUNDS} rounds`);
    proofCost = await measureProofCost(PROOF_SITES, PROOF_ROUNDS, FPM_CHILDREN);
  }
  const loadAfter = os.loadavg();
  const ours = out.map((t) => t.variants[0] as VariantResult);
  const ok = ours.every(
    (r) => r.commandExit === 0 && r.timeToAllProvenMs !== undefined && r.timeToAllProvenMs <= TARGET_MS && r.errors + r.non2xx === 0,
  );
  const result = {
    sites: SITES.length,
    from: OLD,
    to: NEW,
    concurrency: CONCURRENCY,
    fpmChildren: FPM_CHILDREN,
    lnVersion,
    capMs: CAP_MS,
    quietMs: QUIET_MS,
    targets: { timeToAllProvenMs: TARGET_MS, failedRequests: 0 },
    tables: out,
    proofCost,
    loadAverage: { before: loadBefore, after: loadAfter },
    ok,
    totalMs: Date.now() - started,
  };
  if (json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(
      `switch ${OLD} -> ${NEW} under load: ${SITES.length} sites, ${CONCURRENCY} concurrent keep-alive GET / round-robin, PHP-FPM pm=static ${FPM_CHILDREN} workers`,
    );
    console.log(
      "all proven         = from the rename of `current` until the agent's serving proof (front page rendered with theme and plugins, fresh nonce) passed on 6.5.5 for every site",
    );
    console.log(
      'all new (answered) = from the rename of `current` (seen by inotify) until every site had answered 6.5.5 for good, response time included',
    );
    console.log(
      'all new (sent)     = same, but to the send time of that first 6.5.5 request; stale = 6.4.5 answers to requests sent after the switch',
    );
    console.log('requests/non-2xx/errors/p99 cover the whole load run (warm-up, switch, settle); a fresh stack per variant');
    console.log(`${lnVersion}: its -sfn makes a temporary link and renames it over current (atomic, like ours)`);
    for (const t of out) printTable(t.title, t.variants);
    if (proofCost) {
      const c = proofCost;
      console.log(`\nserving proof cost, ${c.sites} sites on ${OLD}, no load, ${c.rounds} rounds (${c.sites * c.rounds} samples each):`);
      console.log(`  full proof per site:   median ${c.proofMs.median} ms, p99 ${c.proofMs.p99} ms`);
      console.log(`  cheap report per site: median ${c.reportMs.median} ms, p99 ${c.reportMs.p99} ms`);
      console.log(`  added by the proof:    median ${c.addedMedianMs} ms per site`);
      console.log(`  all ${c.sites} sites, ${c.allSitesMs.parallel} at once: median ${c.allSitesMs.median} ms`);
    }
    const avg = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    console.log(`\nload average: ${avg(loadBefore)} before, ${avg(loadAfter)} after (${os.cpus().length} CPUs)`);
    console.log(
      `\ntarget for wofleet: time to all proven <= ${TARGET_MS} ms and 0 failed requests: ${ok ? 'ok' : 'MISSED'}  (total ${Math.round(result.totalMs / 1000)} s)`,
    );
  }
  process.exitCode = ok ? 0 : 1;
}

await main();
