import { parseDigestChoice, UsageError } from '@wofleet/shared';
import { describe, expect, it } from 'vitest';
import { ACCESS, parseArgs } from '../src/commands/command.js';
import { COMMANDS } from '../src/commands/table.js';

describe('the command table', () => {
  it('marks only the views as read-only', () => {
    const readOnly = Object.values(COMMANDS)
      .filter((c) => c.access === ACCESS.readOnly)
      .map((c) => c.name);
    expect(readOnly.sort()).toEqual(['baseline show', 'health', 'list', 'releases', 'status']);
  });

  it('gives every command a distinct name', () => {
    const names = Object.values(COMMANDS).map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('normalises domains the same way for the CLI and gRPC', async () => {
    expect(await parseArgs(COMMANDS.remove, { domain: 'Example.COM.' })).toEqual({ domain: 'example.com' });
    expect(await parseArgs(COMMANDS.health, {})).toEqual({ site: undefined });
  });

  it('refuses a bad domain with the shared message', async () => {
    await expect(parseArgs(COMMANDS.convert, { domain: 'no_underscores.test' })).rejects.toThrow(/invalid domain 'no_underscores.test'/);
  });

  it('takes one digest, normalised, and refuses an unknown algorithm or malformed hex', async () => {
    const sha1 = 'a'.repeat(40);
    expect(await parseArgs(COMMANDS.stage, { release: '6.5.5', digest: { algorithm: 'SHA1', hex: sha1.toUpperCase() } })).toEqual({
      release: '6.5.5',
      digest: { algorithm: 'sha1', hex: sha1 },
    });
    await expect(parseArgs(COMMANDS.update, { release: '6.5.5', digest: { algorithm: 'md5', hex: sha1 } })).rejects.toThrow(
      "invalid digest algorithm 'md5': expected sha1 or sha256",
    );
    await expect(parseArgs(COMMANDS.update, { release: '6.5.5', digest: { algorithm: 'sha256', hex: sha1 } })).rejects.toThrow(
      'expected 64 hex digits',
    );
  });

  it('the CLI refuses both digest flags at once', () => {
    expect(() => parseDigestChoice('a'.repeat(40), 'b'.repeat(64))).toThrow('give either --sha1 or --sha256, not both');
  });

  it('checks create flags with the message the CLI always gave', async () => {
    await expect(parseArgs(COMMANDS.create, { domain: 'a.test', flags: { php81: true, php82: true } })).rejects.toThrow(
      'give one PHP version, not --php81 --php82',
    );
    const parsed = await parseArgs(COMMANDS.create, { domain: 'a.test', flags: { php83: true, wpredis: true, le: true } });
    expect(parsed.flags).toEqual({ php: '8.3', cache: 'wpredis', letsEncrypt: true, adminEmail: undefined });
  });

  it('reports a value of the wrong type as a usage error naming the field', async () => {
    const err = await parseArgs(COMMANDS.prune, { keep: -1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^prune: keep: /);
  });

  it('drops input the command does not take (like the CLI --json flag)', async () => {
    expect(await parseArgs(COMMANDS.rollback, { to: '6.4.5', json: true } as { to: string })).toEqual({ to: '6.4.5' });
  });
});
