import { parseDuration, printable, UsageError } from '@wofleet/shared';
import { formatHostPort, parseHostPort } from '../config/address.js';

/**
 * Validation of what an operator says about a server, the same at the CLI (before
 * anything is sent) and in the controller (never trusting a client).
 */
const SERVER_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Label keys and values: letters, digits, '.', '_' and '-', starting and ending with a letter or digit, 63 at most. */
const LABEL_PART_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export const DEFAULT_TOKEN_TTL_MS = 60 * 60 * 1000;
export const MIN_TOKEN_TTL_MS = 60 * 1000;
export const MAX_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** A name a server can have (also what an agent's messages must name it). */
export function isServerName(input: string): boolean {
  return SERVER_NAME_RE.test(input);
}

export function parseServerName(input: string): string {
  if (!isServerName(input)) {
    throw new UsageError(
      `invalid server name '${printable(input)}': must be 1-63 lower-case letters, digits or hyphens, starting with a letter or digit`,
    );
  }
  return input;
}

export function parseServerAddress(input: string): string {
  return formatHostPort(parseHostPort('--address', input));
}

const LABEL_KEY_RULE = "the key must be 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit";

/** A label key alone (`servers update --remove-label KEY`). */
export function checkLabelKey(key: string): void {
  if (!LABEL_PART_RE.test(key)) throw new UsageError(`invalid label key '${printable(key)}': ${LABEL_KEY_RULE}`);
}

export function checkLabel(key: string, value: string): void {
  const shown = `${printable(key)}=${printable(value)}`;
  if (!LABEL_PART_RE.test(key)) throw new UsageError(`invalid label '${shown}': ${LABEL_KEY_RULE}`);
  if (!LABEL_PART_RE.test(value)) {
    throw new UsageError(
      `invalid label '${shown}': the value must be 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
    );
  }
}

/** `k=v` flags into a map; a key given twice is refused. */
export function parseLabelFlags(inputs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const input of inputs) {
    const at = input.indexOf('=');
    if (at < 0) throw new UsageError(`invalid label '${printable(input)}': expected KEY=VALUE`);
    const key = input.slice(0, at);
    const value = input.slice(at + 1);
    checkLabel(key, value);
    if (Object.hasOwn(labels, key)) throw new UsageError(`label '${printable(key)}' given twice`);
    labels[key] = value;
  }
  return labels;
}

/** A label map from the wire, checked entry by entry. */
export function checkLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) checkLabel(key, value);
  return { ...labels };
}

export function parseTokenTtl(input: string): number {
  const ms = parseDuration('--token-ttl', input);
  checkTokenTtl(ms);
  return ms;
}

export function checkTokenTtl(ms: number): void {
  if (!Number.isInteger(ms) || ms < MIN_TOKEN_TTL_MS || ms > MAX_TOKEN_TTL_MS) {
    throw new UsageError('invalid --token-ttl: must be from 1m to 7d');
  }
}
