import { z } from 'zod';
import { CONTROL_CHAR, LONE_SURROGATE, TEXT_CONTROL_CHAR } from './text.js';

/**
 * The field rules of every message an agent sends the controller over NATS, as zod
 * building blocks: what reaches the database is bounded and holds nothing Postgres
 * refuses as data (NUL, lone UTF-16 surrogates) nor anything a terminal would obey
 * (see text.ts for which controls free text may keep). The byte size of a whole message
 * is capped by its reader before it is parsed at all.
 */
export const MESSAGE_LIMITS = {
  /** Ids, names, versions, release ids, keys. A domain is 253 at most. */
  identifierChars: 256,
  /** One error text (a command's stderr tail, a failed probe). */
  textChars: 4_096,
  /** Entries of one array or object: a server's sites, its problems. */
  entries: 10_000,
  /** Nesting of free-form event data. */
  depth: 8,
} as const;

const LONE_SURROGATE_G = new RegExp(LONE_SURROGATE.source, 'g');
const TEXT_CONTROL_CHAR_G = new RegExp(TEXT_CONTROL_CHAR.source, 'g');

const NO_CONTROLS = 'control characters are not allowed';
const TEXT_CONTROLS = 'control characters other than tab and line breaks are not allowed';
const BROKEN_UNICODE = 'unpaired UTF-16 surrogate';

/** Why `value` breaks the identifier rule, or undefined. */
function identifierProblem(value: string, max: number): string | undefined {
  if (value.length > max) return `longer than ${max} characters`;
  if (CONTROL_CHAR.test(value)) return NO_CONTROLS;
  if (LONE_SURROGATE.test(value)) return BROKEN_UNICODE;
  return undefined;
}

/** Why `value` breaks the free-text rule, or undefined. */
function textProblem(value: string, max: number): string | undefined {
  if (value.length > max) return `longer than ${max} characters`;
  if (TEXT_CONTROL_CHAR.test(value)) return TEXT_CONTROLS;
  if (LONE_SURROGATE.test(value)) return BROKEN_UNICODE;
  return undefined;
}

/** A non-empty id, name or version: no control character at all, `max` characters at most. */
export function identifierField(max: number = MESSAGE_LIMITS.identifierChars) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_CHAR.test(s), NO_CONTROLS)
    .refine((s) => !LONE_SURROGATE.test(s), BROKEN_UNICODE);
}

/** Free text, possibly empty: TAB, LF and CR allowed, no other control, `max` characters at most. */
export function textField(max: number = MESSAGE_LIMITS.textChars) {
  return z
    .string()
    .max(max)
    .refine((s) => !TEXT_CONTROL_CHAR.test(s), TEXT_CONTROLS)
    .refine((s) => !LONE_SURROGATE.test(s), BROKEN_UNICODE);
}

/**
 * An ISO 8601 instant with its offset, in a year Postgres can store: it has no year 0,
 * so `0000-01-01T00:00:00Z` (or `0001-01-01T00:00:00+01:00`) is refused by the database.
 */
export const instantField = z.iso
  .datetime({ offset: true })
  .refine((s) => new Date(s).getUTCFullYear() >= 1, 'before the year 1, which Postgres cannot store');

/**
 * The sender's side of textField: an error text made to pass it (cut to `max`, the
 * controls it may not hold shown as '?', an unpaired surrogate as U+FFFD), so an agent
 * never loses a report because a program it ran printed something odd.
 */
export function messageText(text: string, max: number = MESSAGE_LIMITS.textChars): string {
  const cut = text.length > max ? `${text.slice(0, max - 3)}...` : text;
  return cut.replace(TEXT_CONTROL_CHAR_G, '?').replace(LONE_SURROGATE_G, '\ufffd');
}

/** A whole number a Postgres `integer` holds. */
export const countField = z.number().int().nonnegative().max(2_147_483_647);
/** A whole number a Postgres `bigint` holds and JavaScript counts exactly (bytes, seconds). */
export const sizeField = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** An object of at most `max` entries (the record's own key and value schemas check each one). */
export function boundedRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(key: K, value: V, max: number = MESSAGE_LIMITS.entries) {
  return z.record(key, value).refine((r) => Object.keys(r).length <= max, `more than ${max} entries`);
}

/**
 * Free-form event data (an event type the controller only records): a JSON object
 * whose keys follow the identifier rule and whose strings follow the text rule, at most
 * MESSAGE_LIMITS.depth deep and MESSAGE_LIMITS.entries wide at every level.
 */
export const eventDataField = z.record(z.string(), z.unknown()).superRefine((data, ctx) => {
  const problem = jsonProblem(data, 1, []);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
});

interface JsonProblem {
  message: string;
  path: (string | number)[];
}

/** The first place `value` (as JSON.parse returns it) breaks the rules of eventDataField. */
function jsonProblem(value: unknown, depth: number, path: (string | number)[]): JsonProblem | undefined {
  if (typeof value === 'string') {
    const message = textProblem(value, MESSAGE_LIMITS.textChars);
    return message ? { message, path } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MESSAGE_LIMITS.depth) return { message: `nested deeper than ${MESSAGE_LIMITS.depth} levels`, path };
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  if (entries.length > MESSAGE_LIMITS.entries) return { message: `more than ${MESSAGE_LIMITS.entries} entries`, path };
  for (const [key, item] of entries) {
    if (typeof key === 'string') {
      // The key itself is not echoed: it is what broke the rule.
      const message = identifierProblem(key, MESSAGE_LIMITS.identifierChars);
      if (message) return { message: `a key: ${message}`, path };
    }
    const problem = jsonProblem(item, depth + 1, [...path, key]);
    if (problem) return problem;
  }
  return undefined;
}
