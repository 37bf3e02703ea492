import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cleanWoOutput, parseSiteInfo, woErrorLines } from '../src/sites/wordops.js';

/** `wo site info` as the real WordOps 3.22 printed it (../shared/realwo/outputs/). */
const OUTPUTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/realwo/outputs');
const recordedInfo = (name: string) => cleanWoOutput(readFileSync(path.join(OUTPUTS, name), 'utf8'));

describe('wo site info, as real WordOps prints it', () => {
  it('reads a basic site: type, cache, PHP, SSL and webroot', () => {
    expect(parseSiteInfo('example.test', recordedInfo('02-info.txt'))).toEqual({
      domain: 'example.test',
      siteType: 'wp',
      cacheType: 'basic',
      phpVersion: '8.2',
      ssl: false,
      webroot: '/var/www/example.test',
    });
  });

  it('takes the cache type from the nginx configuration line (there is no cache line)', () => {
    expect(parseSiteInfo('example.test', recordedInfo('19-fresh-info.txt'))).toMatchObject({ siteType: 'wp', cacheType: 'wpfc' });
    expect(parseSiteInfo('example.test', recordedInfo('14-info-after-update.txt'))).toMatchObject({ cacheType: 'wpfc' });
  });

  it('reads SSL as enabled only when WordOps says enabled', () => {
    const lines = ['Nginx configuration\t wp wpredis (enabled)', 'SSL\t\t\t enabled', 'SSL PROVIDER\t\t Lets Encrypt'];
    expect(parseSiteInfo('a.test', lines)).toMatchObject({ cacheType: 'wpredis', ssl: true });
  });
});

describe('WordOps errors', () => {
  it('are its red lines on stdout, without the pointer to its log', () => {
    const recorded = readFileSync(path.join(OUTPUTS, '08-create-wpredis.txt'), 'utf8').replaceAll('\\e', '\x1b');
    expect(woErrorLines(recorded)).toEqual([
      'There was a serious error encountered...',
      'Cleaning up afterwards...',
      'service nginx reload failed. check issues with `nginx -t` command.',
    ]);
    expect(woErrorLines('\x1b[94mall fine\x1b[0m\n')).toEqual([]);
  });
});
