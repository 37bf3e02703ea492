import { describe, expect, it } from 'vitest';
import { parseReleaseInput } from '../src/releases/input.js';
import { parseLabelFlags, parseServerAddress, parseServerName, parseTokenTtl } from '../src/servers/input.js';
import { resolveControllerSettings } from '../src/config/controller.js';
import { refusal } from './refusal.fixtures.js';

/**
 * The input checks the CLI runs before sending anything and the controller runs again
 * on what it receives (same functions), in full. Every refusal is a UsageError (exit 2)
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

describe('catalog releases', () => {
  it('takes one digest and normalises it', () => {
    expect(parseReleaseInput({ version: '6.5.5', sha256: 'A'.repeat(64), url: 'https://example.com/wp.zip' })).toEqual({
      version: '6.5.5',
      url: 'https://example.com/wp.zip',
      digest: { algorithm: 'sha256', hex: 'a'.repeat(64) },
    });
  });

  it.each([
    [{ version: '6.5.5' }, 'release 6.5.5 needs the archive digest'],
    [{ version: '6.5.5', sha1: '', sha256: '' }, 'release 6.5.5 needs the archive digest'],
    [{ version: '6.x', sha1: 'a'.repeat(40) }, "invalid WordPress version '6.x'"],
    [{ version: '6', sha1: 'a'.repeat(40) }, "invalid WordPress version '6'"],
    [{ version: '6.5.5; rm -rf /', sha1: 'a'.repeat(40) }, 'invalid WordPress version'],
    [{ version: '6.5.5', sha1: 'a'.repeat(40), sha256: 'b'.repeat(64) }, 'give either --sha1 or --sha256, not both'],
    [{ version: '6.5.5', sha1: 'a'.repeat(39) }, 'expected 40 hex digits'],
    [{ version: '6.5.5', sha256: 'g'.repeat(64) }, 'expected 64 hex digits'],
    [{ version: '6.5.5', sha1: 'a'.repeat(40), url: 'ftp://example.com/wp.zip' }, 'must be http://, https:// or file://'],
    [{ version: '6.5.5', sha1: 'a'.repeat(40), url: 'not a url' }, 'not a URL'],
    [{ version: '6.5.5', sha1: 'a'.repeat(40), url: 'https://user:pw@example.com/wp.zip' }, 'credentials in the URL'],
  ])('refuses %j', (input, message) => {
    expect(refusal(() => parseReleaseInput(input))).toContain(message);
  });
});

describe('controller settings', () => {
  it('defaults to /var/lib/wofleet-controller and 0.0.0.0:7444 with PGlite', () => {
    expect(resolveControllerSettings({}, {})).toEqual({
      dataDir: '/var/lib/wofleet-controller',
      listen: '0.0.0.0:7444',
      databaseUrl: undefined,
      nats: { servers: ['nats://127.0.0.1:4222'] },
      heartbeatSeconds: 10,
    });
  });

  it('takes flags over the environment, DATABASE_URL from the environment', () => {
    const env = { WOFLEET_DATA_DIR: '/srv/a', WOFLEET_LISTEN: '127.0.0.1:1', DATABASE_URL: 'postgres://db/wofleet' };
    expect(resolveControllerSettings({ dataDir: '/srv/b' }, env)).toMatchObject({
      dataDir: '/srv/b',
      listen: '127.0.0.1:1',
      databaseUrl: 'postgres://db/wofleet',
    });
  });

  it('takes NATS servers, credentials, TLS files and the heartbeat period from flags over the environment', () => {
    const env = {
      WOFLEET_NATS_URL: 'nats://a:4222,nats://b:4222',
      WOFLEET_NATS_USER: 'ctl',
      WOFLEET_NATS_PASS: 's3cret',
      WOFLEET_NATS_CA: '/etc/nats/ca.pem',
      WOFLEET_HEARTBEAT_SECONDS: '5',
    };
    expect(resolveControllerSettings({}, env)).toMatchObject({
      nats: { servers: ['nats://a:4222', 'nats://b:4222'], user: 'ctl', pass: 's3cret', tls: { caFile: '/etc/nats/ca.pem' } },
      heartbeatSeconds: 5,
    });
    expect(resolveControllerSettings({ nats: 'tls://c:4222', natsCreds: '/etc/nats/ctl.creds', heartbeatSeconds: '2' }, env)).toMatchObject(
      {
        nats: { servers: ['tls://c:4222'], credsFile: '/etc/nats/ctl.creds' },
        heartbeatSeconds: 2,
      },
    );
  });

  it.each([
    [{ nats: 'http://a:4222' }, {}, "invalid --nats 'http://a:4222': expected a NATS URL like nats://HOST:4222"],
    [{ nats: ' , ' }, {}, "invalid --nats ' , ': expected one or more NATS URLs"],
    [{}, { WOFLEET_NATS_URL: 'nats://a:4222/path' }, "invalid WOFLEET_NATS_URL 'nats://a:4222/path'"],
    [{ heartbeatSeconds: '0' }, {}, "invalid --heartbeat-seconds '0': expected whole seconds from 1 to 3600"],
    [{ heartbeatSeconds: '1.5' }, {}, "invalid --heartbeat-seconds '1.5'"],
    [{}, { WOFLEET_HEARTBEAT_SECONDS: 'ten' }, "invalid WOFLEET_HEARTBEAT_SECONDS 'ten'"],
    [{ natsCert: '/c.pem' }, {}, 'NATS TLS needs both a certificate and its key'],
  ])('refuses NATS settings %j %j', (flags, env, message) => {
    expect(refusal(() => resolveControllerSettings(flags, env))).toContain(message);
  });

  it('refuses a listen address that is not HOST:PORT', () => {
    expect(refusal(() => resolveControllerSettings({ listen: '7444' }, {}))).toContain("invalid --listen '7444'");
  });
});
