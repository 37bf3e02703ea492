import { describe, expect, it } from 'vitest';
import { parseLabelFlags, parseServerAddress, parseServerName, parseTokenTtl } from '../src/servers/input.js';
import { refusal } from './refusal.fixtures.js';

/**
 * The input checks the CLI runs before sending anything and the controller runs again
 * on what it receives (same functions), in full (servers/input.ts). Every refusal is a UsageError (exit 2)
 * whose one-line message names the bad value.
 */

describe('server addresses', () => {
  it.each([
    ['web-1.example.com:7443', 'web-1.example.com:7443'],
    ['10.0.0.1:1', '10.0.0.1:1'],
    ['[::1]:65535', '[::1]:65535'],
  ])('accepts %s', (input, canonical) => {
    expect(parseServerAddress(input)).toBe(canonical);
  });

  it.each([
    ['web-1', 'expected HOST:PORT'],
    ['web-1:', 'expected HOST:PORT'],
    [':7443', 'expected HOST:PORT'],
    ['web-1:port', 'expected HOST:PORT'],
    ['web-1:0', 'port 0 is out of range 1-65535'],
    ['web-1:65536', 'port 65536 is out of range 1-65535'],
    ['web-1:123456', 'expected HOST:PORT'],
    ['web_1!:7443', "'web_1!' is not a host name or IP address"],
    ['-web:7443', "'-web' is not a host name or IP address"],
    ['[not-ipv6]:7443', 'expected HOST:PORT'],
    ['::1:7443', 'expected HOST:PORT'],
    ['http://web-1:7443', 'expected HOST:PORT'],
  ])('refuses %s', (input, message) => {
    expect(refusal(() => parseServerAddress(input))).toContain(message);
  });
});

describe('labels', () => {
  it('turns k=v flags into a map', () => {
    expect(parseLabelFlags(['region=eu-west', 'tier=web.1', 'a_b=C-D'])).toEqual({ region: 'eu-west', tier: 'web.1', a_b: 'C-D' });
  });

  it.each([
    ['region', 'expected KEY=VALUE'],
    ['=eu', 'the key must be'],
    ['region=', 'the value must be'],
    ['reg ion=eu', 'the key must be'],
    ['region=e u', 'the value must be'],
    ['-region=eu', 'the key must be'],
    ['region=eu;rm', 'the value must be'],
    [`${'k'.repeat(64)}=v`, 'the key must be'],
    ['region=a=b', 'the value must be'],
  ])('refuses %s', (input, message) => {
    expect(refusal(() => parseLabelFlags([input]))).toContain(message);
  });

  it('refuses a key given twice', () => {
    expect(refusal(() => parseLabelFlags(['a=1', 'a=2']))).toBe("label 'a' given twice");
  });
});

describe('server names and token lifetimes', () => {
  it.each(['Web-1', 'web_1', '-web', '', 'w'.repeat(64)])('refuses the server name %j', (name) => {
    expect(refusal(() => parseServerName(name))).toContain('invalid server name');
  });

  it.each([
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
  ])('accepts the token lifetime %s', (input, ms) => {
    expect(parseTokenTtl(input)).toBe(ms);
  });

  it.each(['59s', '8d', '1w', 'h', '-1h', '1.5h'])('refuses the token lifetime %s', (input) => {
    expect(refusal(() => parseTokenTtl(input))).toMatch(/--token-ttl/);
  });
});
