import { fstatSync } from 'node:fs';
import { UsageError } from './errors.js';
import { printable } from './validate/text.js';

/**
 * How log lines are written to stderr:
 * - `json`: one pino JSON object per line (files, pipes, log shippers);
 * - `journal`: the same, each line prefixed with its syslog priority `<N>` as
 *   sd-daemon(3) describes, so journald files it under that priority (`journalctl -p warning`);
 * - `pretty`: one human line per record (time, level, name, message, fields) for a terminal.
 *
 * WOFLEET_LOG_FORMAT forces one; otherwise journal when stderr is the journal stream
 * systemd set up (JOURNAL_STREAM names its device and inode), pretty on a terminal, else json.
 */
export const LOG_FORMAT = { json: 'json', pretty: 'pretty', journal: 'journal' } as const;
export type LogFormat = (typeof LOG_FORMAT)[keyof typeof LOG_FORMAT];

/** What the choice depends on about stderr: whether it is a terminal, and its `device:inode`. */
export interface StderrFacts {
  isTTY: boolean;
  /** `dev:ino` of the stderr descriptor (as JOURNAL_STREAM writes it); undefined when unknown. */
  identity: string | undefined;
}

export function resolveLogFormat(env: NodeJS.ProcessEnv, stderr: StderrFacts): LogFormat {
  const forced = env.WOFLEET_LOG_FORMAT?.trim();
  if (forced) {
    if (forced in LOG_FORMAT) return forced as LogFormat;
    throw new UsageError(`invalid WOFLEET_LOG_FORMAT '${printable(forced)}': json, pretty or journal`);
  }
  // A child of a unit inherits JOURNAL_STREAM even when its stderr goes elsewhere: only the very stream counts.
  if (env.JOURNAL_STREAM && stderr.identity !== undefined && env.JOURNAL_STREAM === stderr.identity) return LOG_FORMAT.journal;
  return stderr.isTTY ? LOG_FORMAT.pretty : LOG_FORMAT.json;
}

/** This process's stderr, as resolveLogFormat needs it. */
export function processStderrFacts(): StderrFacts {
  let identity: string | undefined;
  try {
    // bigint: a plain fstatSync leaves its result in the buffer Node's realpath cache
    // reads (Node 20); on a pipe that stops later imports from resolving pnpm's symlinks.
    const stat = fstatSync(2, { bigint: true });
    identity = `${stat.dev}:${stat.ino}`;
  } catch {
    identity = undefined;
  }
  return { isTTY: process.stderr.isTTY === true, identity };
}

/** pino's numeric level as a syslog priority: trace and debug 7, info 6, warn 4, error 3, fatal 2. */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}
