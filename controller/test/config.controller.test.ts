import { describe, expect, it } from 'vitest';
import { resolveControllerSettings } from '../src/config/controller.js';
import { refusal } from './refusal.fixtures.js';

/** The controller's settings from flags, environment and defaults; bad values are refused like any input (UsageError, exit 2). */
describe('controller settings', () => {
  it('defaults to /var/lib/wofleet-controller and 0.0.0.0:7444 with PGlite', () => {
    expect(resolveControllerSettings({}, {})).toEqual({
      dataDir: '/var/lib/wofleet-controller',
      listen: '0.0.0.0:7444',
      databaseUrl: undefined,
      nats: { servers: ['nats://127.0.0.1:4222'] },
      heartbeatSeconds: 10,
      metricsListen: undefined,
      campaignLeaseMs: 15_000,
    });
  });

  it('takes the campaign lease as a duration or seconds, --campaign-lease over WOFLEET_CAMPAIGN_LEASE', () => {
    expect(resolveControllerSettings({}, { WOFLEET_CAMPAIGN_LEASE: '1m' }).campaignLeaseMs).toBe(60_000);
    expect(resolveControllerSettings({ campaignLease: '5' }, { WOFLEET_CAMPAIGN_LEASE: '1m' }).campaignLeaseMs).toBe(5_000);
  });

  it.each([
    [
      { campaignLease: '2s' },
      {},
      "invalid --campaign-lease '2s': expected whole seconds from 3 to 600 (how long after a controller's last renewal another takes its campaigns over)",
    ],
    [{ campaignLease: '11m' }, {}, "invalid --campaign-lease '11m'"],
    [{ campaignLease: '3.5s' }, {}, "invalid --campaign-lease '3.5s'"],
    [{}, { WOFLEET_CAMPAIGN_LEASE: 'soon' }, "invalid WOFLEET_CAMPAIGN_LEASE 'soon'"],
  ])('refuses the campaign lease %j %j', (flags, env, message) => {
    expect(refusal(() => resolveControllerSettings(flags, env))).toContain(message);
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

  it("takes the controller's NATS nkey seed from --nats-seed over WOFLEET_NATS_SEED", () => {
    const env = { WOFLEET_NATS_SEED: '/srv/ctl/nats-controller.nk' };
    expect(resolveControllerSettings({}, env).nats.seedFile).toBe('/srv/ctl/nats-controller.nk');
    expect(resolveControllerSettings({ natsSeed: '/etc/wofleet/ctl.nk' }, env).nats.seedFile).toBe('/etc/wofleet/ctl.nk');
    expect(resolveControllerSettings({}, {}).nats.seedFile).toBeUndefined();
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

  it('serves /metrics only when --metrics-listen or WOFLEET_METRICS_LISTEN names an address, the flag first', () => {
    const env = { WOFLEET_METRICS_LISTEN: '127.0.0.1:9464' };
    expect(resolveControllerSettings({}, env).metricsListen).toBe('127.0.0.1:9464');
    expect(resolveControllerSettings({ metricsListen: '[::1]:9470' }, env).metricsListen).toBe('[::1]:9470');
    expect(resolveControllerSettings({}, { WOFLEET_METRICS_LISTEN: '' }).metricsListen).toBeUndefined();
  });

  it.each([
    [{ metricsListen: '9464' }, {}, "invalid --metrics-listen '9464'"],
    [{}, { WOFLEET_METRICS_LISTEN: 'localhost:99999' }, "invalid WOFLEET_METRICS_LISTEN 'localhost:99999'"],
  ])('refuses a metrics address %j %j that is not HOST:PORT', (flags, env, message) => {
    expect(refusal(() => resolveControllerSettings(flags, env))).toContain(message);
  });
});
