import { parseDomain, parseDuration, parseWordPressVersion, printable, UsageError } from '@wofleet/shared';
import { checkLabels, parseServerName } from '../servers/input.js';
import { parseGateChecks } from './gate-input.js';
import {
  AUTO_CANARY_SITE,
  CAMPAIGN_DEFAULTS,
  type CampaignRequest,
  type CampaignRequestText,
  OFFLINE_POLICY,
  type FailureBudget,
  type OfflineHandling,
  type OfflinePolicy,
  type WaveSize,
} from './model.js';
import { parseWindow } from './window.js';

/**
 * A campaign request as text (flags, RolloutService) into a validated CampaignRequest.
 * Every refusal is a UsageError naming the flag. Empty text (0 for maxParallel) takes
 * the default from CAMPAIGN_DEFAULTS.
 */
export function parseCampaignRequest(text: CampaignRequestText): CampaignRequest {
  const release = text.release.trim();
  if (release === '') throw new UsageError('--release is required (a version in the release catalog, e.g. 6.5.5)');
  const servers = withFlag('--servers', () => text.servers.map((s) => parseServerName(s.trim())));
  const duplicate = servers.find((s, i) => servers.indexOf(s) !== i);
  if (duplicate !== undefined) throw new UsageError(`--servers names '${duplicate}' twice`);
  const checkTimeoutMs = parseCheckTimeout(text);
  const request: CampaignRequest = {
    release: withFlag('--release', () => parseWordPressVersion(release)),
    selection: { servers, labels: withFlag('--label', () => checkLabels(text.labels)) },
    canary: text.canary.trim() === '' ? undefined : withFlag('--canary', () => parseServerName(text.canary.trim())),
    waves: parseWaves(orDefault(text.waves, CAMPAIGN_DEFAULTS.waves)),
    maxParallel: parseMaxParallel(text.maxParallel),
    maxFailures: parseFailureBudget(orDefault(text.maxFailures, CAMPAIGN_DEFAULTS.maxFailures)),
    minHealthyMs: parseDuration('--min-healthy', orDefault(text.minHealthy, CAMPAIGN_DEFAULTS.minHealthy)),
    healthyDeadlineMs: parseDuration('--healthy-deadline', orDefault(text.healthyDeadline, CAMPAIGN_DEFAULTS.healthyDeadline)),
    progressDeadlineMs: parseDuration('--progress-deadline', orDefault(text.progressDeadline, CAMPAIGN_DEFAULTS.progressDeadline)),
    pauseAfterCanary: text.pauseAfterCanary,
    window: text.window.trim() === '' ? undefined : parseWindow(text.window),
    autoRollback: !text.noAutoRollback,
    canarySite: parseCanarySite(text.canarySite),
    checks: parseGateChecks(text.checkHttp, text.checkCommand, checkTimeoutMs),
    offline: parseOfflineHandling(text.offline, text.offlineWait),
  };
  if (request.minHealthyMs >= request.healthyDeadlineMs) {
    throw new UsageError(
      `--min-healthy (${text.minHealthy || CAMPAIGN_DEFAULTS.minHealthy}) must be shorter than --healthy-deadline (${text.healthyDeadline || CAMPAIGN_DEFAULTS.healthyDeadline})`,
    );
  }
  if (request.checks.commands.length > 0 && checkTimeoutMs >= request.healthyDeadlineMs) {
    throw new UsageError(
      `--check-timeout (${text.checkTimeout || CAMPAIGN_DEFAULTS.checkTimeout}) must be shorter than --healthy-deadline (${text.healthyDeadline || CAMPAIGN_DEFAULTS.healthyDeadline})`,
    );
  }
  return request;
}

/** `auto` (or empty): each agent picks; else a domain (planning checks a target holds it). */
function parseCanarySite(text: string): string {
  const site = text.trim();
  return site === '' || site === AUTO_CANARY_SITE ? AUTO_CANARY_SITE : withFlag('--canary-site', () => parseDomain(site));
}

/** The command checks' timeout; refused without a command check, which is the only thing it bounds. */
function parseCheckTimeout(text: CampaignRequestText): number {
  if (text.checkTimeout.trim() !== '' && text.checkCommand.length === 0)
    throw new UsageError('--check-timeout bounds --check-command: give a command check or leave it out');
  return parseDuration('--check-timeout', orDefault(text.checkTimeout, CAMPAIGN_DEFAULTS.checkTimeout));
}

/** `--offline skip|fail|wait` and `--offline-wait DURATION` (which `wait`, waiting without limit, does not take). */
function parseOfflineHandling(policyText: string, waitText: string): OfflineHandling {
  const given = policyText.trim();
  const policy = given === '' ? CAMPAIGN_DEFAULTS.offline : given;
  if (!isOfflinePolicy(policy))
    throw new UsageError(`invalid --offline '${printable(given)}': expected ${Object.values(OFFLINE_POLICY).join(', ')}`);
  if (policy === OFFLINE_POLICY.wait && waitText.trim() !== '')
    throw new UsageError('--offline-wait does not apply to --offline wait, which waits without limit: leave one out');
  return { policy, waitMs: parseDuration('--offline-wait', orDefault(waitText, CAMPAIGN_DEFAULTS.offlineWait)) };
}

function isOfflinePolicy(text: string): text is OfflinePolicy {
  return (Object.values(OFFLINE_POLICY) as string[]).includes(text);
}

/** `1,5,20%`: counts >= 1 and percents 1-100, comma separated, at least one. */
export function parseWaves(input: string): WaveSize[] {
  return input.split(',').map((item) => {
    const entry = item.trim();
    const size = parseSize(entry);
    if (!size)
      throw new UsageError(
        `invalid --waves '${printable(input)}': '${printable(entry)}' is not a server count (1 or more) or a percent (1%-100%)`,
      );
    return size;
  });
}

/** `--max-failures N|P%`: 0 or more servers, or 0-100 percent of the targets. */
export function parseFailureBudget(input: string): FailureBudget {
  const entry = input.trim();
  const percent = /^(\d{1,3})%$/.exec(entry);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d{1,6}$/.test(entry)) return { count: Number(entry) };
  throw new UsageError(`invalid --max-failures '${printable(input)}': expected a number of servers (e.g. 2) or a percent (e.g. 10%)`);
}

function parseSize(entry: string): WaveSize | undefined {
  const percent = /^(\d{1,3})%$/.exec(entry);
  if (percent) {
    const value = Number(percent[1]);
    return value >= 1 && value <= 100 ? { percent: value } : undefined;
  }
  if (/^\d{1,6}$/.test(entry) && Number(entry) >= 1) return { count: Number(entry) };
  return undefined;
}

function parseMaxParallel(value: number): number {
  if (value === 0) return CAMPAIGN_DEFAULTS.maxParallel;
  if (!Number.isInteger(value) || value < 1 || value > 10_000)
    throw new UsageError(`invalid --max-parallel ${value}: expected a whole number from 1 to 10000`);
  return value;
}

function orDefault(text: string, fallback: string): string {
  return text.trim() === '' ? fallback : text;
}

/** Re-throws a UsageError from a shared validator with the flag in front. */
function withFlag<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${flag}: ${err.message}`, { cause: err });
    throw err;
  }
}
