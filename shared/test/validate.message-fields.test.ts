import { describe, expect, it } from 'vitest';
import {
  countField,
  eventDataField,
  identifierField,
  instantField,
  MESSAGE_LIMITS,
  messageText,
  printable,
  sizeField,
  textField,
} from '../src/index.js';

/** The field rules of what agents send over NATS: each row a value and whether it passes. */
const passes = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('identifiers', () => {
  it.each([
    ['r-6.5.5-aaaa', true],
    ['', false],
    ['x'.repeat(256), true],
    ['x'.repeat(257), false],
    ['a\u0000b', false], // NUL: Postgres refuses it
    ['a\u001b[31mb', false], // ESC
    ['a\u009bb', false], // C1 CSI
    ['a\u007fb', false], // DEL
    ['a\nb', false],
    ['a\ud800b', false], // unpaired surrogate: Postgres refuses it in jsonb
    ['caf\u00e9 \ud83d\ude00', true],
  ])('%j passes: %s', (value, ok) => {
    expect(passes(identifierField(), value)).toBe(ok);
  });
});

describe('free text', () => {
  it.each([
    ['', true],
    ['line 1\nline 2\r\n\tindented', true],
    ['x'.repeat(MESSAGE_LIMITS.textChars), true],
    ['x'.repeat(MESSAGE_LIMITS.textChars + 1), false],
    ['a\u0000b', false],
    ['\u001b]0;title\u0007', false],
    ['\u0085', false], // C1 NEL
    ['\udc00', false],
  ])('%j passes: %s', (value, ok) => {
    expect(passes(textField(), value)).toBe(ok);
  });

  it('messageText makes any text pass, and leaves ordinary text alone', () => {
    for (const text of ['\u0000\u001b[2J\u009b\u007f', `${'y'.repeat(5_000)}\ud83d\ude00`, `${'z'.repeat(4_092)}\ud83d\ude00`, 'a\ud800']) {
      expect(passes(textField(), messageText(text))).toBe(true);
    }
    expect(messageText('exit 1\nPHP Fatal error:\tsomething')).toBe('exit 1\nPHP Fatal error:\tsomething');
    expect(messageText('a\u001b[31mb')).toBe('a?[31mb');
    expect(messageText('x'.repeat(5_000))).toBe(`${'x'.repeat(4_093)}...`);
  });
});

describe('numbers and instants', () => {
  it.each([
    [countField, 2_147_483_647, true],
    [countField, 2_147_483_648, false], // over a Postgres integer
    [countField, 1.5, false],
    [sizeField, Number.MAX_SAFE_INTEGER, true],
    [sizeField, 1e30, false], // over a Postgres bigint
    [sizeField, -1, false],
    [instantField, '2025-01-01T12:00:00.000Z', true],
    [instantField, '2025-01-01T12:00:00+02:00', true],
    [instantField, '0000-01-01T00:00:00Z', false], // Postgres has no year 0
    [instantField, '0001-01-01T00:30:00+01:00', false], // year 0 in UTC
    [instantField, '0001-01-01T00:00:00Z', true],
  ] as const)('%#: %j passes: %s', (schema, value, ok) => {
    expect(passes(schema, value)).toBe(ok);
  });
});

describe('free-form event data', () => {
  const deep = (levels: number): unknown => (levels === 0 ? 'leaf' : { next: deep(levels - 1) });
  it.each([
    [{ release: 'r1', sites: ['a.test'], freed: 10, nested: { ok: true, none: null } }, true],
    [{ problems: ['a.test: line 1\nline 2'] }, true],
    [{ removed: ['r\u0000'] }, false],
    [{ 'key\u001b': 1 }, false],
    [{ ['k'.repeat(257)]: 1 }, false],
    [{ text: 'x'.repeat(MESSAGE_LIMITS.textChars + 1) }, false],
    [{ list: Array(MESSAGE_LIMITS.entries + 1).fill(1) }, false],
    [deep(MESSAGE_LIMITS.depth) as Record<string, unknown>, true], // the data object is the first level
    [deep(MESSAGE_LIMITS.depth + 1) as Record<string, unknown>, false],
  ])('%#: passes: %s', (value, ok) => {
    expect(passes(eventDataField, value)).toBe(ok);
  });

  it('names where the data breaks the rules, without echoing the value', () => {
    const result = eventDataField.safeParse({ sites: [{ domain: 'a.test' }, { domain: 'b\u0000' }] });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['sites.1.domain', 'control characters other than tab and line breaks are not allowed'],
    ]);
  });
});

describe('printable', () => {
  it('what is echoed of a rejected value holds no control and no unpaired surrogate (Postgres stores it)', () => {
    expect(printable('a\u0000b\u001b[31mc\ud800d\ud83d\ude00', 80)).toBe('a?b?[31mc?d\ud83d\ude00');
    expect(printable(`${'x'.repeat(9)}\ud83d\ude00`, 10)).toBe(`${'x'.repeat(9)}?...`);
  });
});
