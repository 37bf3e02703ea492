import { culpritOf } from './culprit.js';
import type { PhpLogSummary } from './php-log.js';
import { findProofMarker, type PhpErrorAt, type ProofMarker } from './proof-marker.js';

/** What a site must run for its proof to pass. */
export interface ProofExpectation {
  wpVersion: string;
  /** When set, the DB must be at this schema. */
  dbVersion?: number;
  /**
   * When set, the front page's worker must run this release (its directory name). Only the
   * front page: it goes through the front controller, which loads the release by its real
   * path; a path served through the site's `wp` link names the link instead.
   */
  release?: string;
}

export interface ProofFailure {
  /** One line: the path, the HTTP status, the plugin or theme, the PHP error. */
  error: string;
  culprit?: string;
}

export interface PageAnswer {
  path: string;
  status: number;
  body: string;
  nonce: string;
}

/** `PHP Fatal error: MESSAGE in FILE:LINE`, on one line (a stack trace is cut off). */
export function phpErrorLine(kind: string, error: { message: string; file?: string; line?: number }): string {
  const message = (error.message.split('\n')[0] ?? '').trim();
  const at = error.file && !message.includes(` in ${error.file}`) ? ` in ${error.file}${error.line ? `:${error.line}` : ''}` : '';
  return `PHP ${kind}: ${message}${at}`;
}

const withCulprit = (head: string, culprit: string | undefined, detail: string) =>
  culprit ? `${head}, ${culprit}: ${detail}` : `${head}: ${detail}`;

/**
 * Judges one checked page: HTTP 200, the marker with THIS request's nonce (a cached page
 * carries another or none), no fatal, the expected core and DB schema, the front page
 * rendered through wp_footer, and no more than `maxWarnings` PHP warnings.
 */
export function judgePage(
  page: PageAnswer,
  options: { frontPage: boolean; expected: ProofExpectation; maxWarnings: number },
): { marker?: ProofMarker; failure?: ProofFailure } {
  const marker = findProofMarker(page.body, page.nonce);
  const head = `${page.path}: HTTP ${page.status}`;
  if (marker?.fatal) {
    const culprit = culpritOf(marker.fatal);
    return { marker, failure: { error: withCulprit(head, culprit, phpErrorLine('Fatal error', marker.fatal)), culprit } };
  }
  if (page.status !== 200) return { marker, failure: { error: head } };
  if (!marker) {
    return { failure: { error: `${head} without this probe's proof marker (a cached page, or the rendering stopped before its end)` } };
  }
  const { expected } = options;
  const releaseDiffers = options.frontPage && expected.release !== undefined && marker.release !== expected.release;
  if (marker.wp_version !== expected.wpVersion || releaseDiffers) {
    return {
      marker,
      failure: {
        error: `${head}: rendered by WordPress ${marker.wp_version} (${marker.release}), expected ${expected.wpVersion}${expected.release ? ` (${expected.release})` : ''}`,
      },
    };
  }
  if (expected.dbVersion !== undefined && marker.db_version !== expected.dbVersion) {
    return { marker, failure: { error: `${head}: db_version ${marker.db_version}, expected ${expected.dbVersion}` } };
  }
  if (marker.warnings > options.maxWarnings)
    return { marker, failure: warningFlood(head, marker.warnings, options.maxWarnings, marker.first_warning) };
  if (options.frontPage && !marker.footer) {
    return { marker, failure: { error: `${head}: the page ended before wp_footer (the theme did not finish rendering)` } };
  }
  return { marker };
}

function warningFlood(head: string, count: number, max: number, first: PhpErrorAt | null): ProofFailure {
  const culprit = first ? culpritOf(first) : undefined;
  const detail = `${count} PHP warnings (at most ${max})${first ? `, first: ${phpErrorLine('Warning', first)}` : ''}`;
  return { error: withCulprit(head, culprit, detail), culprit };
}

/** Judges what the site's error log grew by during the proof: no fatal, at most `maxWarnings` PHP messages. */
export function judgeLog(summary: PhpLogSummary, maxWarnings: number): ProofFailure | undefined {
  if (summary.fatal) {
    const culprit = culpritOf(summary.fatal);
    return { error: withCulprit('error log', culprit, phpErrorLine(summary.fatal.kind, summary.fatal)), culprit };
  }
  if (summary.messages > maxWarnings && summary.first) {
    const culprit = culpritOf(summary.first);
    const detail = `${summary.messages} PHP messages (at most ${maxWarnings}), first: ${phpErrorLine(summary.first.kind, summary.first)}`;
    return { error: withCulprit('error log', culprit, detail), culprit };
  }
  return undefined;
}

/**
 * A page failure that names no PHP error (a 500 without a marker: the fatal page was not
 * WordPress', or headers were already sent) takes the fatal the error log recorded.
 */
export function explainFromLog(failure: ProofFailure, summary: PhpLogSummary): ProofFailure {
  if (failure.culprit || !summary.fatal) return failure;
  const culprit = culpritOf(summary.fatal);
  return { error: withCulprit(failure.error, culprit, phpErrorLine(summary.fatal.kind, summary.fatal)), culprit };
}
