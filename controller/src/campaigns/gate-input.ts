import { printable, UsageError } from '@wofleet/shared';
import { CAMPAIGN_DEFAULTS, type CommandCheck, type GateChecks, type HttpCheck } from './model.js';

/**
 * The external gate's flags into checks: `--check-http 'path=/,status=200,max-ms=3000,
 * connect=server,body=REGEX'` and `--check-command 'PROGRAM ARG...'`. Every refusal is
 * a UsageError naming the flag and the spec.
 */

const HTTP_KEYS = ['path', 'status', 'max-ms', 'connect', 'body'] as const;
type HttpKey = (typeof HTTP_KEYS)[number];
const MAX_CHECKS = 16;
const MAX_ARGS = 64;
const MAX_BODY_PATTERN = 500;
const MAX_HTTP_MS = 600_000;

export function parseGateChecks(http: readonly string[], commands: readonly string[], commandTimeoutMs: number): GateChecks {
  if (http.length > MAX_CHECKS) throw new UsageError(`--check-http given ${http.length} times (${MAX_CHECKS} at most)`);
  if (commands.length > MAX_CHECKS) throw new UsageError(`--check-command given ${commands.length} times (${MAX_CHECKS} at most)`);
  return { http: http.map(parseHttpCheck), commands: commands.map((spec) => parseCommandCheck(spec, commandTimeoutMs)) };
}

/**
 * `key=value` pairs separated by commas, every key optional (`path=/`, `status=200`,
 * `max-ms=5000`, DNS by default). `body=` comes last and takes the rest of the spec, so
 * that a pattern may hold commas.
 */
export function parseHttpCheck(spec: string): HttpCheck {
  const fail = (why: string) => new UsageError(`invalid --check-http '${printable(spec)}': ${why}`);
  const fields = new Map<HttpKey, string>();
  let rest = spec.trim();
  while (rest !== '') {
    const key = /^([a-z-]+)=/.exec(rest)?.[1];
    if (key === undefined) throw fail(`expected key=value pairs separated by commas (keys: ${HTTP_KEYS.join(', ')})`);
    if (!isHttpKey(key)) throw fail(`unknown key '${key}' (keys: ${HTTP_KEYS.join(', ')})`);
    if (fields.has(key)) throw fail(`'${key}' given twice`);
    rest = rest.slice(key.length + 1);
    const comma = rest.indexOf(',');
    const end = key === 'body' || comma === -1 ? rest.length : comma;
    fields.set(key, rest.slice(0, end).trim());
    rest = rest.slice(end + 1).trim();
  }
  return {
    text: spec.trim(),
    path: checkPath(fields.get('path') ?? '/', fail),
    status: checkStatus(fields.get('status'), fail),
    body: checkBodyPattern(fields.get('body'), fail),
    maxMs: checkMaxMs(fields.get('max-ms'), fail),
    connect: checkConnect(fields.get('connect'), fail),
  };
}

/** The program and its arguments split on white space: no shell, no quoting. */
export function parseCommandCheck(spec: string, timeoutMs: number): CommandCheck {
  const argv = spec.trim().split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw new UsageError('invalid --check-command: empty (expected a program and its arguments)');
  if (argv.length > MAX_ARGS)
    throw new UsageError(`invalid --check-command '${printable(spec)}': ${argv.length} words (${MAX_ARGS} at most)`);
  if (argv.some((a) => /[\x00-\x1f\x7f]/.test(a)))
    throw new UsageError(`invalid --check-command '${printable(spec)}': control characters are not allowed`);
  return { text: argv.join(' '), argv, timeoutMs };
}

function isHttpKey(key: string): key is HttpKey {
  return (HTTP_KEYS as readonly string[]).includes(key);
}

type Fail = (why: string) => UsageError;

function checkPath(path: string, fail: Fail): string {
  if (!/^\/[\x21-\x7e]{0,2000}$/.test(path)) throw fail(`path '${printable(path)}' must start with '/' and hold no spaces`);
  return path;
}

function checkStatus(text: string | undefined, fail: Fail): number {
  if (text === undefined) return CAMPAIGN_DEFAULTS.httpStatus;
  const status = Number(text);
  if (!/^\d{3}$/.test(text) || status < 100 || status > 599) throw fail(`status '${printable(text)}' must be an HTTP status, 100 to 599`);
  return status;
}

function checkMaxMs(text: string | undefined, fail: Fail): number {
  if (text === undefined) return CAMPAIGN_DEFAULTS.httpMaxMs;
  const ms = Number(text);
  if (!/^\d{1,6}$/.test(text) || ms < 1 || ms > MAX_HTTP_MS)
    throw fail(`max-ms '${printable(text)}' must be milliseconds, 1 to ${MAX_HTTP_MS}`);
  return ms;
}

function checkConnect(text: string | undefined, fail: Fail): HttpCheck['connect'] {
  if (text === undefined || text === 'dns') return undefined;
  const match = /^server(?::(\d{1,5}))?$/.exec(text);
  const port = match?.[1] === undefined ? undefined : Number(match[1]);
  if (!match || (port !== undefined && (port < 1 || port > 65_535)))
    throw fail(`connect '${printable(text)}' must be dns, server or server:PORT`);
  return { port };
}

function checkBodyPattern(text: string | undefined, fail: Fail): string | undefined {
  if (text === undefined) return undefined;
  if (text === '' || text.length > MAX_BODY_PATTERN) throw fail(`body pattern must be 1 to ${MAX_BODY_PATTERN} characters`);
  try {
    new RegExp(text);
  } catch (err) {
    throw fail(`body pattern is not a regular expression (${err instanceof Error ? err.message : String(err)})`);
  }
  return text;
}
