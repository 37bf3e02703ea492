import { printable } from '../validate/text.js';

/**
 * Which wofleet versions talk to each other (docs/COMPATIBILITY.md). Pure: the gRPC
 * interceptors and the enrollment check ask it, nothing here does I/O.
 *
 * A version's release line is its major version, except before 1.0, where the minor
 * acts as the major (0.2.x and 0.3.x are different lines). The proto contract changes
 * only additively within a line. A controller serves peers (agents, operator CLIs) of
 * its own line and of the line before it, so it can be upgraded first and then roll the
 * agents forward; it never serves a peer of a newer line.
 */

export const COMPATIBILITY_DOC = 'docs/COMPATIBILITY.md';

/** gRPC request metadata every wofleet client sends: its own wofleet version. */
export const VERSION_METADATA_KEY = 'wofleet-version';

/**
 * What a peer that sends no `wofleet-version` is taken for: wofleet 0.1.x, the releases
 * before the header existed, judged by the same rule as any other version.
 */
export const VERSION_WITHOUT_HEADER = '0.1.0';

export interface ReleaseLine {
  major: number;
  /** Set only for major 0, where the minor names the line. */
  minor?: number;
}

const SEMVER = /^(\d{1,6})\.(\d{1,6})\.(\d{1,6})(?:[-+][0-9A-Za-z.+-]{1,64})?$/;

/** The release line of a wofleet version (`x.y.z`, optionally `-pre` or `+build`); undefined when it is not one. */
export function releaseLine(version: string): ReleaseLine | undefined {
  const m = SEMVER.exec(version);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 0 ? { major, minor: Number(m[2]) } : { major };
}

export function formatLine(line: ReleaseLine): string {
  return line.minor === undefined ? `${line.major}.x` : `${line.major}.${line.minor}.x`;
}

/**
 * The line before `line`, or undefined: before 0.1 there is none, and 1.x's is the
 * last 0.y line, named here when 1.0 is released.
 */
export function previousLine(line: ReleaseLine): ReleaseLine | undefined {
  if (line.minor !== undefined) return line.minor > 0 ? { major: 0, minor: line.minor - 1 } : undefined;
  return line.major > 1 ? { major: line.major - 1 } : undefined;
}

function sameLine(a: ReleaseLine | undefined, b: ReleaseLine | undefined): boolean {
  return a !== undefined && b !== undefined && a.major === b.major && a.minor === b.minor;
}

/** Orders lines: every 0.y line comes before 1.x. */
function lineOrder(line: ReleaseLine): number {
  return line.minor === undefined ? line.major * 1_000_000 : line.minor;
}

/** A controller of `controllerVersion` and a peer of `peerVersion` talk when the peer's line is the controller's or the one before. */
export function controllerServes(controllerVersion: string, peerVersion: string): boolean {
  const controller = releaseLine(controllerVersion);
  const peer = releaseLine(peerVersion);
  if (!controller || !peer) return false;
  return sameLine(controller, peer) || sameLine(previousLine(controller), peer);
}

/** Who asks: the controller judging an agent or an operator CLI, or an agent judging a controller. */
export type VersionJudge = { role: 'controller'; peer: 'agent' | 'client' } | { role: 'agent' };

/**
 * Why the two versions must not talk, one line naming both versions, the rule and the
 * fix; undefined when they may. `peerVersion` undefined: the peer sent none.
 */
export function versionRefusal(judge: VersionJudge, ownVersion: string, peerVersion: string | undefined): string | undefined {
  // The peer's version comes off the wire: bounded and printable before it is quoted.
  const peer = peerVersion === undefined ? VERSION_WITHOUT_HEADER : printable(peerVersion.slice(0, 64));
  const controllerVersion = judge.role === 'controller' ? ownVersion : peer;
  const otherVersion = judge.role === 'controller' ? peer : ownVersion;
  if (controllerServes(controllerVersion, otherVersion)) return undefined;
  const other = judge.role === 'controller' ? judge.peer : 'agent';
  const otherName = other === 'agent' ? 'wofleet-agent' : 'wofleet';
  const sent = peerVersion === undefined ? ` (it sent no ${VERSION_METADATA_KEY}: wofleet before 0.2.0)` : '';
  const who =
    judge.role === 'controller'
      ? `controller ${ownVersion} refuses ${otherName} ${peer}${sent}`
      : `wofleet-agent ${ownVersion} refuses controller ${peer}${sent}`;
  return `${who}: ${ruleFor(controllerVersion, otherVersion, other)} (${COMPATIBILITY_DOC})`;
}

function ruleFor(controllerVersion: string, otherVersion: string, other: 'agent' | 'client'): string {
  const controller = releaseLine(controllerVersion);
  const peer = releaseLine(otherVersion);
  if (!controller) return `'${controllerVersion}' is not a wofleet version (x.y.z)`;
  if (!peer) return `'${otherVersion}' is not a wofleet version (x.y.z)`;
  const previous = previousLine(controller);
  const serves = `a controller serves ${other === 'agent' ? 'agents' : 'CLIs'} of its release line ${formatLine(controller)}${
    previous ? ` and the one before, ${formatLine(previous)}` : ''
  }`;
  const fix =
    lineOrder(peer) > lineOrder(controller)
      ? 'upgrade the controller first'
      : other === 'agent'
        ? `upgrade the agent to ${formatLine(controller)} ('wofleet agents upgrade', or its package by hand)`
        : `upgrade this CLI to ${formatLine(controller)}`;
  return `${serves}; ${fix}`;
}
