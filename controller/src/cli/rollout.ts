import type { Command } from 'commander';
import { EXIT, printable, UsageError, WofleetError } from '@wofleet/shared';
import {
  CAMPAIGN_ACTION,
  CAMPAIGN_STATE,
  isActiveCampaignState,
  type CampaignAction,
  type CampaignEvent,
  type CampaignRequestText,
  type CampaignView,
} from '../campaigns/model.js';
import type { CampaignChanges } from '../events/campaign-changes.js';
import { parseLabelFlags } from '../servers/input.js';
import type { RolloutApi } from '../client/rollout-client.js';
import { parseCampaignId } from '../grpc/rollout-id.js';
import { followPages } from '../client/pages.js';
import { limitOption, parseLimit, positiveInt } from './args.js';
import { withRollouts } from './connect.js';
import { collect, drawStatusLine, jsonText, out, printAboveStatusLine, printLines } from './output.js';
import {
  filterCampaignView,
  renderCampaign,
  renderCampaignList,
  renderEvent,
  renderOutcome,
  renderPlan,
  renderProgressLine,
  renderUpdateLine,
} from './rollout-render.js';

/** `wofleet rollout plan | start | status | watch | list | pause | resume | promote | abort | rollback`. */

export const EXIT_CODES_HELP = `
Exit codes: 0 the campaign succeeded; 1 it failed, was aborted or rolled back (or the
watch was cut short); 2 a usage error (bad flag, unknown server or release).`;

const ACTION_HELP: Record<CampaignAction, string> = {
  pause: 'stop starting new servers (those in progress finish); resume continues',
  resume: 'continue a paused campaign',
  promote: 'continue after the canary wave of a --pause-after-canary campaign',
  abort: 'stop the campaign and return every server it touched to its prior release',
  rollback: 'return every server of a finished campaign (succeeded, failed or aborted) to its prior release',
};

export interface RequestFlags {
  release?: string;
  servers?: string;
  label: string[];
  canary?: string;
  waves?: string;
  maxParallel?: string;
  maxFailures?: string;
  minHealthy?: string;
  healthyDeadline?: string;
  progressDeadline?: string;
  pauseAfterCanary?: boolean;
  window?: string;
  autoRollback: boolean;
  canarySite?: string;
  checkHttp: string[];
  checkCommand: string[];
  checkTimeout?: string;
  offline?: string;
  offlineWait?: string;
}

/** The campaign flags; `release` false: the command names what it rolls out itself (`agents upgrade --to`). */
export function withRequestOptions(command: Command, release = true): Command {
  return (release ? command.option('--release <version>', 'WordPress version from the release catalog (required)') : command)
    .option('--servers <a,b,...>', 'only these servers (default: every enrolled server)')
    .option('--label <key=value>', 'only servers carrying this label (repeatable: all of them)', collect, [])
    .option('--canary <name>', 'canary server (default: the targets flagged canary, else the first by name)')
    .option('--waves <sizes>', 'wave sizes, counts or percents of the targets; the first wave is the canary (default 1,10%,25%)')
    .option('--max-parallel <n>', 'servers worked on at once inside a wave (default 10)')
    .option('--max-failures <n|p%>', 'failed servers tolerated before the campaign halts (default 0)')
    .option('--min-healthy <duration>', 'how long a server must stay healthy after its switch (default 30s)')
    .option('--healthy-deadline <duration>', 'a server not healthy within this has failed (default 5m)')
    .option('--progress-deadline <duration>', 'the campaign fails when nothing progresses for this long (default 30m)')
    .option('--pause-after-canary', 'wait for `rollout promote` after the canary wave')
    .option('--window <spec>', 'maintenance window, waves start only inside it: "Mon-Fri 01:00-05:00 UTC"')
    .option('--no-auto-rollback', 'leave failed servers as they are instead of rolling them back')
    .option(
      '--canary-site <auto|domain>',
      'site each server switches and proves first; a domain goes to the target holding it, auto to the others (default auto)',
    )
    .option(
      '--check-http <spec>',
      "check every site's public URL of each switched server during its health hold (repeatable): " +
        "'path=/,status=200,max-ms=5000,connect=server[:PORT],body=REGEX' (every key optional; body last)",
      collect,
      [],
    )
    .option(
      '--check-command <program args...>',
      'run a program on this host per switched server during its health hold, the server and its sites as JSON on stdin; exit 0 passes (repeatable)',
      collect,
      [],
    )
    .option('--check-timeout <duration>', 'time limit of each --check-command run (default 60s)')
    .option(
      '--offline <skip|fail|wait>',
      'a server offline when its wave needs it is waited for up to --offline-wait, then: skip it (not a failure: ' +
        'one dead server does not halt the fleet, and a later campaign catches it up), fail it (counts against ' +
        '--max-failures), or wait without limit (--progress-deadline still applies). An offline canary is never ' +
        'skipped: it fails the campaign (default skip)',
    )
    .option('--offline-wait <duration>', 'how long to wait for an offline server before --offline skips or fails it (default 5m)');
}

/** The flags as the engine's request text; parsed by the engine here (for an early answer) and again by the controller. */
function requestText(o: RequestFlags): CampaignRequestText {
  return {
    release: o.release ?? '',
    servers: o.servers === undefined ? [] : o.servers.split(',').map((s) => s.trim()),
    labels: parseLabelFlags(o.label),
    canary: o.canary ?? '',
    waves: o.waves ?? '',
    maxParallel: o.maxParallel === undefined ? 0 : positiveInt('--max-parallel', o.maxParallel, 10_000),
    maxFailures: o.maxFailures ?? '',
    minHealthy: o.minHealthy ?? '',
    healthyDeadline: o.healthyDeadline ?? '',
    progressDeadline: o.progressDeadline ?? '',
    pauseAfterCanary: o.pauseAfterCanary === true,
    window: o.window ?? '',
    noAutoRollback: !o.autoRollback,
    canarySite: o.canarySite ?? '',
    checkHttp: o.checkHttp,
    checkCommand: o.checkCommand,
    checkTimeout: o.checkTimeout ?? '',
    offline: o.offline ?? '',
    offlineWait: o.offlineWait ?? '',
  };
}

export async function checkedRequest(o: RequestFlags): Promise<CampaignRequestText> {
  const text = requestText(o);
  const { parseCampaignRequest } = await import('../campaigns/input.js');
  parseCampaignRequest(text);
  return text;
}

function waveNumber(raw: string): number {
  if (!/^\d{1,4}$/.test(raw)) throw new UsageError(`invalid --wave '${printable(raw)}': expected a wave number (0 is the canary)`);
  return Number(raw);
}

const isJson = (cmd: Command): boolean => cmd.opts<{ json?: boolean }>().json === true;

/**
 * The lines of `watch --json`: `whole` is {event, campaign} with the whole campaign on
 * every line (as it always was); `changes` (--changes) is the campaign on the first line
 * only, then {format, event, changes}, what changed since the line before (a fleet of
 * thousands of servers makes every whole line megabytes).
 */
type JsonLines = 'whole' | 'changes';
export const WATCH_CHANGES_FORMAT = 'wofleet.rollout.watch.changes/1';

function jsonLines(cmd: Command, changes: boolean | undefined): JsonLines | undefined {
  if (!isJson(cmd)) {
    if (changes) throw new UsageError('--changes is for --json output: add --json');
    return undefined;
  }
  return changes ? 'changes' : 'whole';
}

function watchLine(json: JsonLines, event: CampaignEvent | undefined, view: CampaignView, changes: CampaignChanges | undefined): object {
  if (json === 'whole') return { event: event ?? null, campaign: view };
  return changes
    ? { format: WATCH_CHANGES_FORMAT, event: event ?? null, changes }
    : { format: WATCH_CHANGES_FORMAT, event: event ?? null, campaign: view };
}

/**
 * Follows a campaign to its end: with --json one JSON object per update; on a terminal
 * the changes scroll above a progress line redrawn every second; otherwise one plain
 * line per change. Exit code 1 unless it succeeded.
 */
async function followCampaign(api: RolloutApi, id: string, json: JsonLines | undefined): Promise<void> {
  const tty = json === undefined && process.stdout.isTTY === true;
  let last: CampaignView | undefined;
  const redraw = () => last && drawStatusLine(renderProgressLine(last, new Date()));
  const ticker = tty ? setInterval(redraw, 1_000) : undefined;
  try {
    for await (const { event, view, changes } of api.watch(id)) {
      last = view;
      if (json) process.stdout.write(`${jsonText(watchLine(json, event, view, changes))}\n`);
      else if (tty) {
        if (event) printAboveStatusLine(renderEvent(event));
        redraw();
      } else printLines([renderUpdateLine(event, view, new Date())]);
    }
  } finally {
    clearInterval(ticker);
    if (tty && last) process.stdout.write('\n');
  }
  if (!last) throw new WofleetError(`the watch of campaign ${id} ended without an answer`);
  if (isActiveCampaignState(last.state)) throw new WofleetError(`the watch of campaign ${id} ended while it is ${last.state}`);
  if (!json) printLines([renderOutcome(last, new Date())]);
  if (last.state !== CAMPAIGN_STATE.succeeded) process.exitCode = EXIT.failure;
}

/**
 * What `rollout start` and `agents upgrade` print once their campaign is started (`what`
 * it rolls out); given `watchWith`, then they follow it to its end (--watch; `changes`:
 * --changes, JSON lines of changes after the first).
 */
export async function reportStartedCampaign(
  cmd: Command,
  view: CampaignView,
  what: string,
  watchWith?: RolloutApi,
  changes?: boolean,
): Promise<void> {
  const json = jsonLines(cmd, changes);
  if (!(watchWith && json)) {
    out(cmd, view, () => [
      `started campaign ${view.id}: ${what}, ${view.targets.length} servers in ${view.waves.length} waves, canary ${view.plan.canary}`,
      ...(watchWith ? [] : [`follow it: wofleet rollout watch ${view.id}`]),
    ]);
  }
  if (watchWith) await followCampaign(watchWith, view.id, json);
}

export function registerRolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('staged rollout campaigns: a canary server first, then the fleet in waves, with health gates and rollback');

  withRequestOptions(rollout.command('plan'))
    .description('print the exact waves and servers a campaign would use, changing nothing')
    .option('--json', 'print as JSON')
    .action(async (o: RequestFlags, cmd: Command) => {
      const request = await checkedRequest(o);
      const plan = await withRollouts(cmd, (api) => api.plan(request));
      out(cmd, plan, () => renderPlan(plan));
    });

  withRequestOptions(rollout.command('start'))
    .description('start a campaign and print its id')
    .option('--watch', 'then follow it to its end (exit code as for watch)')
    .option('--json', 'print as JSON (with --watch: one JSON object per line)')
    .option('--changes', 'with --watch --json: the campaign on the first line, then only what changed (see watch)')
    .addHelpText(
      'after',
      `
Examples:
  wofleet rollout start --release 6.5.5 --label region=eu --waves 1,10%,50% --watch
  wofleet rollout start --release 6.5.5 --pause-after-canary --min-healthy 2m --offline-wait 1h30m
${EXIT_CODES_HELP}`,
    )
    .action(async (o: RequestFlags & { watch?: boolean; changes?: boolean }, cmd: Command) => {
      const request = await checkedRequest(o);
      jsonLines(cmd, o.changes); // refuses --changes without --json before a campaign starts
      await withRollouts(cmd, async (api) => {
        const view = await api.start(request);
        await reportStartedCampaign(cmd, view, `release ${view.plan.release.version}`, o.watch ? api : undefined, o.changes);
      });
    });

  rollout
    .command('status <id>')
    .description('a campaign: state, waves, every server, counts and elapsed time')
    .option('--failed', 'list only the servers that failed (failed or rollback-failed)')
    .option('--wave <n>', 'list only this wave and its servers (wave 0 is the canary)')
    .option('--json', 'print as JSON (with --failed or --wave: those waves and servers only)')
    .addHelpText(
      'after',
      `
Examples:
  wofleet rollout status 6f1c1d3e-... --failed
  wofleet rollout status 6f1c1d3e-... --wave 0 --json`,
    )
    .action(async (idArg: string, o: { failed?: boolean; wave?: string }, cmd: Command) => {
      const id = parseCampaignId(idArg);
      const wave = o.wave === undefined ? undefined : waveNumber(o.wave);
      const view = await withRollouts(cmd, (api) => api.get(id));
      if (wave !== undefined && wave >= view.waves.length) {
        throw new UsageError(`invalid --wave ${wave}: campaign ${id} has waves 0 to ${view.waves.length - 1}`);
      }
      const filter = { failedOnly: o.failed === true, wave };
      out(cmd, filterCampaignView(view, filter), () => renderCampaign(view, new Date(), filter));
    });

  rollout
    .command('watch <id>')
    .description('follow a campaign live until it ends: per wave and per server state, counts, elapsed time')
    .option('--json', 'one JSON object per line: {event, campaign}')
    .option(
      '--changes',
      `with --json: {format: "${WATCH_CHANGES_FORMAT}", event, campaign} on the first line, then {format, event, changes}: ` +
        "the campaign's state, reason and times, and the waves and servers that changed since the line before (whole)",
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (idArg: string, o: { changes?: boolean }, cmd: Command) => {
      const id = parseCampaignId(idArg);
      const json = jsonLines(cmd, o.changes);
      await withRollouts(cmd, (api) => followCampaign(api, id, json));
    });

  rollout
    .command('list')
    .description('campaigns, newest first')
    .option('--active', 'only those that can still change servers')
    .addOption(limitOption())
    .option('--json', 'print as JSON')
    .action(async (o: { active?: boolean; limit?: string }, cmd: Command) => {
      const limit = parseLimit(o.limit);
      const views = await withRollouts(cmd, (api) =>
        followPages(async (page) => {
          const r = await api.list({ active: o.active === true, ...page });
          return { items: r.rollouts, nextPageToken: r.nextPageToken };
        }, limit),
      );
      out(cmd, views, () => renderCampaignList(views, new Date()));
    });

  for (const action of Object.values(CAMPAIGN_ACTION)) {
    const command = rollout.command(`${action} <id>`).description(ACTION_HELP[action]).option('--json', 'print the campaign as JSON');
    if (action === CAMPAIGN_ACTION.rollback) {
      command.option(
        '--restore-db',
        'also restore the DB snapshots taken when the campaign switched the servers (every write since is lost); ' +
          'without it, a rollback across a DB schema change is refused',
      );
    }
    command.action(async (idArg: string, o: { restoreDb?: boolean }, cmd: Command) => {
      const id = parseCampaignId(idArg);
      const view = await withRollouts(cmd, (api) => api.act(id, action, { restoreDb: o.restoreDb === true }));
      out(cmd, view, () => [`campaign ${view.id} is ${view.state}${view.reason ? ` (${view.reason})` : ''}`]);
    });
  }
}
