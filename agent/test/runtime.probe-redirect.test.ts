import { describe, expect, it } from 'vitest';
import { httpsRedirect } from '../src/runtime/probe.js';

describe('the probe follows only a redirect of the same site to https', () => {
  it.each([
    ['https://a.test/wofleet-health?nocache=1', { port: 443, path: '/wofleet-health?nocache=1' }],
    ['https://www.a.test/', { port: 443, path: '/' }],
    ['https://A.TEST:8443/x', { port: 8443, path: '/x' }],
  ])('%s', (location, expected) => {
    expect(httpsRedirect(location, 'a.test')).toEqual(expected);
  });

  it.each(['http://a.test/', 'https://evil.test/', 'https://a.test.evil.test/', '/relative', 'not a url', 'ftp://a.test/'])(
    'not %s',
    (location) => {
      expect(httpsRedirect(location, 'a.test')).toBeUndefined();
    },
  );
});
