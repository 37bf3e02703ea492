import { describe, expect, it } from 'vitest';
import { parseReleaseInput } from '../src/releases/input.js';
import { refusal } from './refusal.fixtures.js';

/**
 * The input checks the CLI runs before sending anything and the controller runs again
 * on what it receives (same functions), in full (releases/input.ts). Every refusal is a UsageError (exit 2)
 * whose one-line message names the bad value.
 */

describe('catalog releases', () => {
  it('takes one digest and normalises it', () => {
    expect(
      parseReleaseInput({ version: '6.5.5', digest: { algorithm: 'sha256', hex: 'A'.repeat(64) }, url: 'https://example.com/wp.zip' }),
    ).toEqual({
      version: '6.5.5',
      url: 'https://example.com/wp.zip',
      digest: { algorithm: 'sha256', hex: 'a'.repeat(64) },
    });
  });

  it.each([
    [{ version: '6.5.5' }, 'release 6.5.5 needs the archive digest'],
    [{ version: '6.5.5', digest: { algorithm: '', hex: '' } }, 'release 6.5.5 needs the archive digest'],
    [{ version: '6.x', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) } }, "invalid WordPress version '6.x'"],
    [{ version: '6', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) } }, "invalid WordPress version '6'"],
    [{ version: '6.5.5; rm -rf /', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) } }, 'invalid WordPress version'],
    [{ version: '6.5.5', digest: { algorithm: 'md5', hex: 'a'.repeat(32) } }, "invalid digest algorithm 'md5'"],
    [{ version: '6.5.5', digest: { algorithm: 'sha1', hex: 'a'.repeat(39) } }, 'expected 40 hex digits'],
    [{ version: '6.5.5', digest: { algorithm: 'sha256', hex: 'g'.repeat(64) } }, 'expected 64 hex digits'],
    [
      { version: '6.5.5', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) }, url: 'ftp://example.com/wp.zip' },
      'must be http://, https:// or file://',
    ],
    [{ version: '6.5.5', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) }, url: 'not a url' }, 'not a URL'],
    [
      { version: '6.5.5', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) }, url: 'https://user:pw@example.com/wp.zip' },
      'credentials in the URL',
    ],
  ])('refuses %j', (input, message) => {
    expect(refusal(() => parseReleaseInput(input))).toContain(message);
  });
});
