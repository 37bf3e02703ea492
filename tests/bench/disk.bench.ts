/**
 * Disk benchmark (`pnpm bench:disk [--json] [--sites N]`): N (default 20) sites on the
 * shared core, created through the CLI (`wofleet-agent create` = `wo site create --wp`
 * + convert) on one stack, against one core copy per site.
 *
 * Two independent measurements:
 *  - the agent's own `status --json` disk figures (st_blocks, hard links counted once);
 *  - GNU `du -s --block-size=1`: the shared root + every site root in ONE du run (du
 *    counts a hard-linked inode once per run), against N x the du of a traditional site
 *    made by `wo site create --wp` alone (never converted) on the same stack, with the
 *    same WordPress archive (6.4.5).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { StatusResult } from '@wofleet/agent';
import { runAgent, runAgentJson, writeAgentConfig, WP645 } from '../support/agent.js';
import { startStack, type Stack } from '../support/stack.js';
import { formatTable, mib, numberFlag, progress, seconds, type Cell } from './report.js';

const SITE_COUNT = Math.floor(numberFlag('--sites', 20));
const TRADITIONAL = 'traditional.test';
const execFileAsync = promisify(execFile);

/** `du -s --block-size=1 -c PATHS...`: per-path sizes (hard links counted once across the run) and the total. */
async function du(paths: readonly string[]): Promise<{ each: Map<string, number>; total: number }> {
  const { stdout } = await execFileAsync('du', ['-s', '--block-size=1', '-c', ...paths], { maxBuffer: 16 * 1024 * 1024 });
  const each = new Map<string, number>();
  let total = 0;
  for (const line of stdout.trim().split('\n')) {
    const tab = line.indexOf('\t');
    const bytes = Number(line.slice(0, tab));
    const name = line.slice(tab + 1);
    if (name === 'total') total = bytes;
    else each.set(name, bytes);
  }
  return { each, total };
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function createSites(stack: Stack, domains: readonly string[]): Promise<number[]> {
  const times: number[] = [];
  for (const domain of domains) {
    const started = performance.now();
    const r = await runAgent(stack, ['create', domain]);
    if (r.code !== 0) throw new Error(`wofleet-agent create ${domain} exited ${r.code}: ${r.stderr}\n${stack.logs()}`);
    times.push(performance.now() - started);
    progress(`  created ${domain} in ${seconds(times.at(-1) as number)}`);
  }
  return times;
}

/** A site as WordOps makes it, with its own core copy (the stand-in is what `wo` is here). */
async function createTraditionalSite(stack: Stack): Promise<number> {
  const started = performance.now();
  await execFileAsync(stack.woBin, ['site', 'create', TRADITIONAL, '--wp'], {
    env: { ...process.env, ...stack.env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const started = Date.now();
  const domains = Array.from({ length: SITE_COUNT }, (_, i) => `d${String(i + 1).padStart(2, '0')}.test`);
  progress(`starting a stack, init ${path.basename(WP645)}, creating ${SITE_COUNT} shared-core sites`);
  const stack = await startStack();
  try {
    await writeAgentConfig(stack);
    const init = await runAgent(stack, ['init', '--release', WP645]);
    if (init.code !== 0) throw new Error(`init exited ${init.code}: ${init.stderr}`);
    const createMs = await createSites(stack, domains);

    const status = await runAgentJson<StatusResult>(stack, ['status']);
    if (status.sites !== SITE_COUNT) throw new Error(`status reports ${status.sites} shared-core sites, expected ${SITE_COUNT}`);
    const siteRoots = domains.map((d) => path.join(stack.sitesRoot, d));
    const shared = await du([stack.sharedRoot, ...siteRoots]);
    const sharedRootBytes = shared.each.get(stack.sharedRoot) ?? 0;
    const siteRootsBytes = sum(siteRoots.map((r) => shared.each.get(r) ?? 0));

    // Made after the shared measurements so the agent never sees it; same archive (6.4.5).
    progress(`creating ${TRADITIONAL} with wo site create --wp alone (one core copy)`);
    const traditionalCreateMs = await createTraditionalSite(stack);
    const tradRoot = path.join(stack.sitesRoot, TRADITIONAL);
    const trad = await du([tradRoot]);
    const tradHtdocs = await du([path.join(tradRoot, 'htdocs')]);
    const traditionalSiteBytes = trad.total;
    const traditionalTotal = traditionalSiteBytes * SITE_COUNT;

    const agent = {
      sharedCoreBytes: status.disk.sharedCoreBytes,
      currentReleaseBytes: status.disk.currentReleaseBytes,
      perSiteBytesSum: sum(Object.values(status.disk.perSiteBytes)),
      oneCopyPerSiteBytes: status.disk.oneCopyPerSiteBytes,
      savedBytes: status.disk.savedBytes,
      backupsBytes: status.disk.backupsBytes,
    };
    const agentSharedTotal = agent.sharedCoreBytes + agent.perSiteBytesSum;
    const result = {
      sites: SITE_COUNT,
      wordpress: '6.4.5',
      du: {
        sharedRootBytes,
        siteRootsBytes,
        sharedTotalBytes: shared.total,
        traditionalSiteBytes,
        traditionalHtdocsBytes: tradHtdocs.total,
        traditionalTotalBytes: traditionalTotal,
        savedBytes: traditionalTotal - shared.total,
        sharedShare: Number((shared.total / traditionalTotal).toFixed(4)),
      },
      agent: {
        ...agent,
        sharedTotalBytes: agentSharedTotal,
        /** The agent's own comparison (core only: current release x sites). */
        sharedShareOfOneCopyPerSite: Number((agent.sharedCoreBytes / agent.oneCopyPerSiteBytes).toFixed(4)),
      },
      timing: {
        createMedianMs: Math.round(median(createMs)),
        createTotalMs: Math.round(sum(createMs)),
        traditionalCreateMs: Math.round(traditionalCreateMs),
        totalMs: Date.now() - started,
      },
    };

    if (json) {
      console.log(JSON.stringify(result));
      return;
    }
    const row = (what: string, source: string, bytes: number): Cell[] => [what, source, bytes, mib(bytes)];
    console.log(`disk: ${SITE_COUNT} sites on WordPress 6.4.5, shared core vs one core copy per site\n`);
    console.log(
      formatTable(
        ['what', 'measured by', 'bytes', 'size'],
        [
          row('shared root (releases, shared wp-content, config)', 'du', sharedRootBytes),
          row(`${SITE_COUNT} shared-core site roots`, 'du', siteRootsBytes),
          row(`shared core total, ${SITE_COUNT} sites`, 'du (one run)', shared.total),
          row('one traditional site root (wo site create --wp)', 'du', traditionalSiteBytes),
          row('  of which htdocs (core + wp-content)', 'du', tradHtdocs.total),
          row(`one copy per site, ${SITE_COUNT} sites`, `${SITE_COUNT} x du`, traditionalTotal),
          row('saved', 'du', result.du.savedBytes),
          row('shared core (releases + wp-content)', 'agent status', agent.sharedCoreBytes),
          row('current release', 'agent status', agent.currentReleaseBytes),
          row(`${SITE_COUNT} site roots (sum of perSiteBytes)`, 'agent status', agent.perSiteBytesSum),
          row(`shared core total, ${SITE_COUNT} sites`, 'agent status', agentSharedTotal),
          row(`one core copy per site (current release x ${SITE_COUNT})`, 'agent status', agent.oneCopyPerSiteBytes),
          row('saved (one copy per site - shared core)', 'agent status', agent.savedBytes),
          row('convert backups', 'agent status', agent.backupsBytes),
        ],
      ),
    );
    console.log(
      `\nshared core takes ${(result.du.sharedShare * 100).toFixed(1)}% of one-copy-per-site (du, whole site roots); ` +
        `agent: shared core = ${(result.agent.sharedShareOfOneCopyPerSite * 100).toFixed(1)}% of ${SITE_COUNT} core copies`,
    );
    console.log(
      `create via CLI (wo site create + convert): median ${seconds(result.timing.createMedianMs)} per site, ${seconds(result.timing.createTotalMs)} for ${SITE_COUNT}; ` +
        `wo site create alone: ${seconds(result.timing.traditionalCreateMs)}; total ${seconds(result.timing.totalMs)}`,
    );
  } finally {
    await stack.stop();
  }
}

await main();
