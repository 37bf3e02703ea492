import { describe, expect, it } from 'vitest';
import { parseDomain, UsageError } from '../src/index.js';

describe('parseDomain', () => {
  it.each([
    ['../x', 'only letters'],
    ['a;rm -rf /', 'only letters'],
    ['-rf', 'needs at least two labels'],
    ['-rf.com', "not starting or ending with '-'"],
    ['', 'empty'],
    ['   ', 'empty'],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, '254 characters'],
    ['localhost', 'needs at least two labels'],
    ['exa mple.com', 'only letters'],
    ['example..com', "label ''"],
    [`${'a'.repeat(64)}.com`, 'must be 1-63'],
    ['ex_ample.com', 'only letters'],
    ['example.com/../../etc', 'only letters'],
    ['$(reboot).com', 'only letters'],
  ])('refuses %j with a message naming the problem', (input, fragment) => {
    expect(() => parseDomain(input)).toThrow(UsageError);
    expect(() => parseDomain(input)).toThrow(fragment);
  });

  it('normalises upper case to lower case, always the same way', () => {
    expect(parseDomain('Example.COM')).toBe('example.com');
    expect(parseDomain('example.com.')).toBe('example.com');
  });

  it('accepts ordinary and punycode domains', () => {
    expect(parseDomain('blog.example.co.uk')).toBe('blog.example.co.uk');
    expect(parseDomain('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
  });

  it('keeps control characters out of the error line', () => {
    expect(() => parseDomain('a\nb.com')).toThrow(/a\?b\.com/);
  });
});
