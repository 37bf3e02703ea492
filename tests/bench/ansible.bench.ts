/**
 * wofleet vs Ansible (`pnpm bench:ansible [--hosts N] [--scenarios clean,fail,kill] [--json]`):
 * the same rollout driven by a playbook with `serial` and `max_fail_percentage`
 * (ansible/rollout.yml, Debian's ansible-playbook, connection local) and by a wofleet
 * campaign, over N local agent sandboxes (ansible/sandboxes.ts) each side.
 *
 * Both: waves 1,10%,25% (the last size repeating), every host of a wave at once (forks /
 * --max-parallel = the largest wave), a health hold of --min-healthy-seconds (default 10,
 * as bench:rollout), no failure tolerated, a failed host rolled back (the campaign's
 * --healthy-deadline 3 holds, not the default 5m: the playbook fails a host at once). The agents' work is
 * the same code: the playbook runs the `wofleet-agent` CLI (update = stage + switch,
 * health --deep before and after the hold, rollback); the campaign calls the same
 * commands in `wofleet-agent serve` over gRPC (StageRelease for all first, ActivateRelease
 * per wave, deep CheckHealth polled through the hold).
 *
 * Scenarios, each on fresh sandboxes (and a fresh controller, database and nats-server):
 *  - clean: wall time; the agents' critical path (ansible/work.ts); orchestration
 *    overhead = wall - critical path; CPU of each orchestrator (ansible-playbook and its
 *    workers less the agent commands; the controller plus the `rollout start --watch` CLI).
 *  - fail: one host of the third wave gets a typo in its nginx configuration the moment
 *    it has switched (the bench watches its `current` link), so its health checks after
 *    the switch fail; what each orchestrator does then, and leaves behind.
 *  - kill: the orchestrator SIGKILLed as the third wave's first host switches; where the
 *    hosts are then, and how the rollout finishes: the playbook run again from the start,
 *    the controller started again.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from '../support/stack.js';
import { runAnsibleRollout, serialBatches, type AnsibleRun } from './ansible/ansible-side.js';
import {
  breakNginx,
  buildSandboxes,
  currentVersion,
  FROM_VERSION,
  hostName,
  switchesTo,
  TO_VERSION,
  writeReleases,
  type ReleaseArchives,
  type Sandbox,
} from './ansible/sandboxes.js';
import { daemonRss, runWofleetRollout, startWofleetFleet, type WofleetRun } from './ansible/wofleet-side.js';
import { loadAverage, round } from './proc.js';
import { flagValue, formatTable, mib, numberFlag, progress, seconds, type Cell } from './report.js';

const HOSTS = Math.floor(numberFlag('--hosts', 20));
const MIN_HEALTHY_S = numberFlag('--min-healthy-seconds', 10);
const HEARTBEAT_S = 10;
const WAVES = ['1', '10%', '25%'];
const SCENARIOS = (flagValue('--scenarios') ?? 'clean,fail,kill').split(',');
const SIDES = (flagValue('--sides') ?? 'ansible,wofleet').split(',');

const names = Array.from({ length: HOSTS }, (_, i) => hostName(i));
const batches = serialBatches(
  names,
  WAVES.map((w) => (w.endsWith('%') ? w : Number(w))),
);
const largest = Math.max(...batches.map((b) => b.length));
/** The host that fails: the middle of the third wave. */
const FAILING = batches[2]?.[Math.floor((batches[2]?.length ?? 1) / 2)] ?? names.at(-1) ?? '';
/** The kill comes as the first host past the first two waves switches. */
const KILL_AFTER = (batches[0]?.length ?? 0) + (batches[1]?.length ?? 0);

interface Outcome {
  on655: number;
  on645: number;
  /** Hosts with exactly one switch to 6.5.5 recorded (the failing host's rollback aside). */
  switchedOnce: number;
  switchedTwiceOrMore: number;
  failingHostOn: string | undefined;
  note?: string;
}

async function outcome(sandboxes: readonly Sandbox[]): Promise<Outcome> {
  const versions = await Promise.all(sandboxes.map((s) => currentVersion(s)));
  const switches = await Promise.all(sandboxes.map((s) => switchesTo(s, TO_VERSION)));
  return {
    on655: versions.filter((v) => v === TO_VERSION).length,
    on645: versions.filter((v) => v === FROM_VERSION).length,
    switchedOnce: switches.filter((n) => n === 1).length,
    switchedTwiceOrMore: switches.filter((n) => n > 1).length,
    failingHostOn: versions[sandboxes.findIndex((s) => s.name === FAILING)],
  };
}

/**
 * In the fail scenario: once FAILING has switched to 6.5.5, its nginx configuration
 * breaks (polled every 50 ms), so the health checks after its switch fail. Returns the stop.
 */
function failAfterSwitch(scenario: string, sandboxes: readonly Sandbox[]): () => void {
  const host = sandboxes.find((s) => s.name === FAILING);
  if (scenario !== 'fail' || host === undefined) return () => {};
  let broken = false;
  const timer = setInterval(() => {
    if (broken) return;
    void currentVersion(host).then(async (v) => {
      if (v !== TO_VERSION || broken) return;
      broken = true;
      await breakNginx(host);
    });
  }, 50);
  return () => clearInterval(timer);
}

const switchedCount = async (sandboxes: readonly Sandbox[]) =>
  (await Promise.all(sandboxes.map((s) => currentVersion(s)))).filter((v) => v === TO_VERSION).length;

interface SideResult {
  side: string;
  scenario: string;
  wallMs: number;
  criticalPathMs: number;
  orchestratorCpuMs: number;
  result: string;
  atKill?: Outcome;
  recovery?: { wallMs: number; result: string };
  after: Outcome;
  extra: Record<string, string | number>;
  load: number;
}

async function ansibleScenario(root: string, stack: Stack, releases: ReleaseArchives, scenario: string): Promise<SideResult> {
  const dir = path.join(root, `ansible-${scenario}`);
  await mkdir(dir, { recursive: true });
  progress(`ansible ${scenario}: ${HOSTS} sandboxes`);
  const sandboxes = await buildSandboxes({
    dir,
    count: HOSTS,
    stack,
    releases,
    natsUrls: ['nats://127.0.0.1:4222'],
    heartbeatSeconds: HEARTBEAT_S,
    breakable: new Set([FAILING]),
  });
  const rollout = { waves: WAVES.map((w) => (w.endsWith('%') ? w : Number(w))), minHealthySeconds: MIN_HEALTHY_S, maxFailPercentage: 0 };
  let atKill: Outcome | undefined;
  progress(`ansible ${scenario}: ansible-playbook`);
  const stopFailing = failAfterSwitch(scenario, sandboxes);
  const run: AnsibleRun = await runAnsibleRollout({
    dir,
    sandboxes,
    releases,
    rollout,
    ...(scenario === 'kill' ? { killWhen: async () => (await switchedCount(sandboxes)) > KILL_AFTER } : {}),
  }).finally(stopFailing);
  let recovery: SideResult['recovery'];
  if (scenario === 'kill') {
    atKill = await outcome(sandboxes);
    const checked = (host: string) => run.steps.filter((s) => s.host === host && s.step === 'health').length === 2;
    const switchedUnchecked = sandboxes.filter((s) => run.steps.some((x) => x.host === s.name && x.step === 'update') && !checked(s.name));
    atKill.note = `${switchedUnchecked.length} switched, health hold not finished`;
    progress('ansible kill: the playbook again, from the start');
    const rerun = await runAnsibleRollout({ dir: path.join(dir), sandboxes, releases, rollout });
    recovery = { wallMs: rerun.wallMs, result: recapResult(rerun) };
  }
  const failed = Object.entries(run.recap ?? {}).filter(([, h]) => h.failures > 0);
  const untried = sandboxes.filter((s) => !run.steps.some((step) => step.host === s.name)).length;
  return {
    side: 'ansible',
    scenario,
    wallMs: run.wallMs,
    criticalPathMs: run.criticalPathMs,
    orchestratorCpuMs: run.orchestratorCpuMs,
    result: run.signal ? `killed (${run.signal})` : recapResult(run),
    ...(atKill ? { atKill } : {}),
    ...(recovery ? { recovery } : {}),
    after: await outcome(sandboxes),
    extra: {
      'agent CPU (all wofleet-agent commands)': seconds(run.agentCpuMs),
      'agent commands run': run.steps.length,
      'hosts failed': failed.map(([h]) => h).join(' ') || 'none',
      ...Object.fromEntries(run.failures.map((f, i) => [`failure ${i + 1}`, f.slice(0, 160)])),
      'hosts never tried': untried,
      batches: run.batches.map((b) => b.length).join(','),
    },
    load: loadAverage(),
  };
}

function recapResult(run: AnsibleRun): string {
  return `exit ${run.exitCode}`;
}

async function wofleetScenario(root: string, stack: Stack, releases: ReleaseArchives, scenario: string): Promise<SideResult> {
  const dir = path.join(root, `wofleet-${scenario}`);
  await mkdir(dir, { recursive: true });
  progress(`wofleet ${scenario}: controller, ${HOSTS} sandboxes, enrollment, daemons`);
  let sandboxes: Sandbox[] = [];
  const fleet = await startWofleetFleet(HEARTBEAT_S, releases, async (natsUrls) => {
    sandboxes = await buildSandboxes({
      dir,
      count: HOSTS,
      stack,
      releases,
      natsUrls,
      heartbeatSeconds: HEARTBEAT_S,
      breakable: new Set([FAILING]),
    });
    return sandboxes;
  });
  try {
    const rssBefore = daemonRss(fleet);
    progress(`wofleet ${scenario}: campaign`);
    let atKill: Outcome | undefined;
    const stopFailing = failAfterSwitch(scenario, sandboxes);
    const run: WofleetRun = await runWofleetRollout(
      fleet,
      { waves: WAVES.join(','), maxParallel: largest, minHealthySeconds: MIN_HEALTHY_S, heartbeatSeconds: HEARTBEAT_S },
      scenario === 'kill'
        ? async () => {
            if ((await switchedCount(sandboxes)) <= KILL_AFTER) return false;
            atKill = await outcome(sandboxes);
            return true;
          }
        : undefined,
    ).finally(stopFailing);
    const rss = daemonRss(fleet);
    const failingWave = run.waves.findIndex((w) => w.includes(FAILING));
    return {
      side: 'wofleet',
      scenario,
      wallMs: run.wallMs,
      criticalPathMs: run.criticalPathMs,
      orchestratorCpuMs: run.orchestratorCpuMs,
      result: `campaign ${run.state}${run.reason ? `: ${run.reason}` : ''} (watch exit ${run.watchExit})${notSucceeded(run.unsuccessful)}`,
      ...(atKill ? { atKill } : {}),
      ...(run.restartMs === undefined ? {} : { recovery: { wallMs: run.restartMs, result: 'controller restarted; campaign resumed' } }),
      after: await outcome(sandboxes),
      extra: {
        waves: run.waves.map((w) => w.length).join(','),
        [`wave of ${FAILING}`]: failingWave + 1,
        'controller RSS max': mib(run.controllerRssBytes),
        'agent daemon RSS (each, before / after)': `${mib(avg(rssBefore))} / ${mib(avg(rss))}`,
        'agent daemons RSS (all)': mib(rss.reduce((a, b) => a + b, 0)),
      },
      load: loadAverage(),
    };
  } finally {
    await fleet.destroy();
  }
}

const avg = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function render(results: readonly SideResult[]): string {
  const rows: Cell[][] = results.map((r) => [
    `${r.side} ${r.scenario}`,
    seconds(r.wallMs),
    seconds(r.criticalPathMs),
    seconds(r.wallMs - r.criticalPathMs),
    `${seconds(r.orchestratorCpuMs)} (${round((r.orchestratorCpuMs / r.wallMs) * 100)}%)`,
    r.result,
    `${r.after.on655}/${r.after.on645}`,
    r.after.switchedOnce,
    r.load,
  ]);
  const lines = [
    formatTable(
      [
        'run',
        'wall',
        'agents critical path',
        'overhead',
        'orchestrator CPU (% of a core)',
        'result',
        'on 6.5.5/6.4.5',
        'switched once',
        'load',
      ],
      rows,
    ),
  ];
  for (const r of results) {
    const details: Cell[][] = Object.entries(r.extra).map(([k, v]) => [k, v]);
    if (r.atKill)
      details.push(['at the kill: on 6.5.5 / 6.4.5', `${r.atKill.on655} / ${r.atKill.on645}${r.atKill.note ? `; ${r.atKill.note}` : ''}`]);
    if (r.recovery) details.push(['recovery', `${r.recovery.result}, ${seconds(r.recovery.wallMs)}`]);
    if (r.scenario === 'fail') details.push([`${FAILING} ends on`, r.after.failingHostOn ?? '?']);
    if (r.after.switchedTwiceOrMore) details.push(['switched twice or more', r.after.switchedTwiceOrMore]);
    lines.push('', formatTable([`${r.side} ${r.scenario}`, ''], details));
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-bench-ansible-'));
  const stack = await startStack();
  const results: SideResult[] = [];
  try {
    const releases = await writeReleases(path.join(root, 'mirror'));
    progress(
      `${HOSTS} hosts; batches ${batches.map((b) => b.length).join(',')}; failing host ${FAILING}; kill after ${KILL_AFTER} switched`,
    );
    for (const scenario of SCENARIOS) {
      for (const side of SIDES) {
        const result = await (side === 'ansible' ? ansibleScenario : wofleetScenario)(root, stack, releases, scenario);
        // Each as it ends: a long run that breaks later keeps what it measured.
        progress(`${side} ${scenario}: ${JSON.stringify(result)}`);
        results.push(result);
      }
    }
    if (process.argv.includes('--json'))
      process.stdout.write(`${JSON.stringify({ hosts: HOSTS, minHealthySeconds: MIN_HEALTHY_S, results })}\n`);
    else process.stdout.write(`${render(results)}\n`);
  } finally {
    await stack.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();

/** The first servers that did not succeed, for the result line ('' when all did). */
function notSucceeded(servers: readonly string[], shown = 5): string {
  if (servers.length === 0) return '';
  const more = servers.length > shown ? ` (+${servers.length - shown} more)` : '';
  return `; not succeeded: ${servers.slice(0, shown).join('; ')}${more}`;
}
