import { describe, expect, it } from 'vitest';
import { parseCampaignRequest } from '../src/campaigns/index.js';
import { isWindowOpen, parseWindow } from '../src/campaigns/window.js';
import { requestText } from './campaigns.fixtures.js';
import { refusal } from './refusal.fixtures.js';

/** Campaign flags into a CampaignRequest; every refusal is a UsageError naming the flag. */

describe('parseCampaignRequest', () => {
  it('fills the defaults of DESIGN §6 and the issue', () => {
    expect(parseCampaignRequest(requestText())).toEqual({
      release: '6.5.5',
      selection: { servers: [], labels: {} },
      canary: undefined,
      waves: [{ count: 1 }, { percent: 10 }, { percent: 25 }],
      maxParallel: 10,
      maxFailures: { count: 0 },
      minHealthyMs: 30_000,
      healthyDeadlineMs: 300_000,
      progressDeadlineMs: 1_800_000,
      pauseAfterCanary: false,
      window: undefined,
      autoRollback: true,
      canarySite: 'auto',
      checks: { http: [], commands: [] },
      offline: { policy: 'skip', waitMs: 300_000 },
    });
  });

  it('takes every flag', () => {
    const request = parseCampaignRequest(
      requestText({
        servers: ['web-1', 'web-2'],
        labels: { dc: 'fra1' },
        canary: 'web-2',
        waves: '1, 5 ,20%',
        maxParallel: 3,
        maxFailures: '10%',
        minHealthy: '2s',
        healthyDeadline: '1m',
        progressDeadline: '2h',
        pauseAfterCanary: true,
        window: 'Mon-Fri 01:00-05:00 UTC',
        noAutoRollback: true,
        offline: 'fail',
        offlineWait: '90s',
      }),
    );
    expect(request).toMatchObject({
      selection: { servers: ['web-1', 'web-2'], labels: { dc: 'fra1' } },
      canary: 'web-2',
      waves: [{ count: 1 }, { count: 5 }, { percent: 20 }],
      maxParallel: 3,
      maxFailures: { percent: 10 },
      minHealthyMs: 2_000,
      healthyDeadlineMs: 60_000,
      progressDeadlineMs: 7_200_000,
      pauseAfterCanary: true,
      window: { days: [1, 2, 3, 4, 5], startMinute: 60, endMinute: 300, timeZone: 'UTC' },
      autoRollback: false,
      offline: { policy: 'fail', waitMs: 90_000 },
    });
    expect(parseCampaignRequest(requestText({ offline: ' wait ' })).offline.policy).toBe('wait');
  });

  it.each([
    [{ release: '' }, '--release is required'],
    [{ release: '6.x' }, '--release: invalid WordPress version'],
    [{ waves: '1,,20%' }, "invalid --waves '1,,20%': '' is not"],
    [{ waves: '1,5,0%' }, "'0%' is not"],
    [{ waves: '1,101%' }, "'101%' is not"],
    [{ waves: '0,5' }, "'0' is not"],
    [{ waves: '1,five' }, "'five' is not"],
    [{ waves: '1,-2' }, "'-2' is not"],
    [{ maxFailures: 'x' }, "invalid --max-failures 'x'"],
    [{ maxFailures: '101%' }, "invalid --max-failures '101%'"],
    [{ maxFailures: '-1' }, "invalid --max-failures '-1'"],
    [{ minHealthy: '30' }, "invalid --min-healthy '30'"],
    [{ healthyDeadline: '5 minutes' }, "invalid --healthy-deadline '5 minutes'"],
    [{ progressDeadline: '1y' }, "invalid --progress-deadline '1y'"],
    [{ minHealthy: '5m', healthyDeadline: '5m' }, '--min-healthy (5m) must be shorter than --healthy-deadline (5m)'],
    [{ maxParallel: -1 }, 'invalid --max-parallel -1'],
    [{ maxParallel: 1.5 }, 'invalid --max-parallel 1.5'],
    [{ servers: ['Web_1'] }, "--servers: invalid server name 'Web_1'"],
    [{ servers: ['web-1', 'web-1'] }, "--servers names 'web-1' twice"],
    [{ canary: 'a b' }, "--canary: invalid server name 'a b'"],
    [{ labels: { 'bad key': 'x' } }, "--label: invalid label 'bad key=x'"],
    [{ window: 'Mon-Fri 01:00-05:00' }, "invalid --window 'Mon-Fri 01:00-05:00': expected DAYS"],
    [{ canarySite: 'not a domain' }, "--canary-site: invalid domain 'not a domain'"],
    [{ canarySite: 'localhost' }, '--canary-site: invalid domain'],
    [{ checkTimeout: '10s' }, '--check-timeout bounds --check-command: give a command check or leave it out'],
    [{ checkCommand: ['/bin/true'], checkTimeout: '10' }, "invalid --check-timeout '10'"],
    [{ checkCommand: ['/bin/true'], checkTimeout: '5m' }, '--check-timeout (5m) must be shorter than --healthy-deadline (5m)'],
    [{ checkCommand: ['/bin/true'], healthyDeadline: '1m' }, '--check-timeout (60s) must be shorter than --healthy-deadline (1m)'],
    [{ checkCommand: ['   '] }, 'invalid --check-command: empty'],
    [{ checkCommand: ['a\tb c\u0007'] }, 'control characters are not allowed'],
    [{ checkHttp: ['path=/', 'status=200', 'x'] }, "invalid --check-http 'x': expected key=value pairs"],
    [{ offline: 'later' }, "invalid --offline 'later': expected skip, fail, wait"],
    [{ offline: 'SKIP' }, "invalid --offline 'SKIP'"],
    [{ offlineWait: '5 min' }, "invalid --offline-wait '5 min'"],
    [{ offline: 'wait', offlineWait: '5m' }, '--offline-wait does not apply to --offline wait, which waits without limit'],
  ])('refuses %j', (overrides, message) => {
    expect(refusal(() => parseCampaignRequest(requestText(overrides)))).toContain(message);
  });

  it('takes the canary site, HTTP checks and command checks', () => {
    const request = parseCampaignRequest(
      requestText({
        canarySite: 'Shop.Example.com',
        checkHttp: ['', 'path=/shop/?x=1, status=301, max-ms=1500, connect=server:8080, body=<title>(Shop|Store), now</title>'],
        checkCommand: ['/usr/local/bin/smoke --fast  eu'],
        checkTimeout: '20s',
      }),
    );
    expect(request.canarySite).toBe('shop.example.com');
    expect(request.checks).toEqual({
      http: [
        { text: '', path: '/', status: 200, body: undefined, maxMs: 5_000, connect: undefined },
        {
          text: 'path=/shop/?x=1, status=301, max-ms=1500, connect=server:8080, body=<title>(Shop|Store), now</title>',
          path: '/shop/?x=1',
          status: 301,
          body: '<title>(Shop|Store), now</title>',
          maxMs: 1_500,
          connect: { port: 8080 },
        },
      ],
      commands: [{ text: '/usr/local/bin/smoke --fast eu', argv: ['/usr/local/bin/smoke', '--fast', 'eu'], timeoutMs: 20_000 }],
    });
    expect(parseCampaignRequest(requestText({ canarySite: 'auto' })).canarySite).toBe('auto');
    expect(parseCampaignRequest(requestText({ checkHttp: ['connect=server'] })).checks.http[0]?.connect).toEqual({ port: undefined });
    expect(parseCampaignRequest(requestText({ checkHttp: ['connect=dns'] })).checks.http[0]?.connect).toBeUndefined();
  });
});

describe('--check-http', () => {
  it.each([
    ['path=/a,path=/b', "'path' given twice"],
    ['url=/', "unknown key 'url' (keys: path, status, max-ms, connect, body)"],
    ['path=shop', "path 'shop' must start with '/'"],
    ['path=/a b', "path '/a b' must start with '/'"],
    ['status=2000', "status '2000' must be an HTTP status"],
    ['status=099', "status '099' must be an HTTP status"],
    ['max-ms=0', "max-ms '0' must be milliseconds, 1 to 600000"],
    ['max-ms=5s', "max-ms '5s' must be milliseconds"],
    ['connect=lb', "connect 'lb' must be dns, server or server:PORT"],
    ['connect=server:70000', "connect 'server:70000' must be dns, server or server:PORT"],
    ['body=', 'body pattern must be 1 to 500 characters'],
    ['body=(unclosed', 'body pattern is not a regular expression'],
  ])('refuses %s', (spec, message) => {
    expect(refusal(() => parseCampaignRequest(requestText({ checkHttp: [spec] })))).toContain(`invalid --check-http '${spec}': ${message}`);
  });

  it('refuses more than 16 of one kind', () => {
    const many = Array.from({ length: 17 }, () => 'path=/');
    expect(refusal(() => parseCampaignRequest(requestText({ checkHttp: many })))).toBe('--check-http given 17 times (16 at most)');
  });
});

describe('--window', () => {
  it.each([
    ['Mon-Fri 01:00-05:00 UTC', [1, 2, 3, 4, 5], 60, 300, 'UTC'],
    ['Sat,Sun 22:00-02:30 Europe/Berlin', [6, 7], 1320, 150, 'Europe/Berlin'],
    ['Fri-Mon 00:00-24:00 utc', [1, 5, 6, 7], 0, 1440, 'UTC'],
    ['tue,thu-fri 09:15-10:45 America/New_York', [2, 4, 5], 555, 645, 'America/New_York'],
  ])('parses %s', (text, days, startMinute, endMinute, timeZone) => {
    expect(parseWindow(text)).toEqual({ text: text.replace(/\s+/g, ' '), days, startMinute, endMinute, timeZone });
  });

  it.each([
    ['Mon-Fri', 'expected DAYS HH:MM-HH:MM ZONE'],
    ['Mun-Fri 01:00-05:00 UTC', "unknown day 'Mun'"],
    ['Mon-Fri-Sat 01:00-05:00 UTC', "'Mon-Fri-Sat' is not a day or a day range"],
    ['Mon 1:00-05:00 UTC', "'1:00-05:00' is not HH:MM-HH:MM"],
    ['Mon 01:00-24:30 UTC', 'the closing time is past 24:00'],
    ['Mon 25:00-05:00 UTC', 'is not HH:MM-HH:MM'],
    ['Mon 05:00-05:00 UTC', 'opens and closes at the same time'],
    ['Mon 01:00-05:00 Mars/Olympus', "unknown time zone 'Mars/Olympus'"],
  ])('refuses %s', (text, message) => {
    expect(refusal(() => parseWindow(text))).toContain(message);
  });

  it('is open inside the hours on the listed days only (2025-01-06 is a Monday)', () => {
    const window = parseWindow('Mon-Fri 01:00-05:00 UTC');
    expect(isWindowOpen(window, new Date('2025-01-06T00:59:59Z'))).toBe(false);
    expect(isWindowOpen(window, new Date('2025-01-06T01:00:00Z'))).toBe(true);
    expect(isWindowOpen(window, new Date('2025-01-06T04:59:59Z'))).toBe(true);
    expect(isWindowOpen(window, new Date('2025-01-06T05:00:00Z'))).toBe(false);
    expect(isWindowOpen(window, new Date('2025-01-11T02:00:00Z'))).toBe(false);
    expect(isWindowOpen(undefined, new Date('2025-01-11T02:00:00Z'))).toBe(true);
  });

  it('runs past midnight into the next day when it closes before it opens', () => {
    const window = parseWindow('Fri 22:00-02:00 UTC');
    expect(isWindowOpen(window, new Date('2025-01-10T21:59:00Z'))).toBe(false);
    expect(isWindowOpen(window, new Date('2025-01-10T23:00:00Z'))).toBe(true);
    expect(isWindowOpen(window, new Date('2025-01-11T01:59:00Z'))).toBe(true);
    expect(isWindowOpen(window, new Date('2025-01-11T02:00:00Z'))).toBe(false);
    // Friday 01:00 belongs to Thursday's window, which is not listed.
    expect(isWindowOpen(window, new Date('2025-01-10T01:00:00Z'))).toBe(false);
  });

  it('reads the hours in the window time zone (Berlin is UTC+1 in January)', () => {
    const window = parseWindow('Mon 01:00-05:00 Europe/Berlin');
    expect(isWindowOpen(window, new Date('2025-01-06T00:30:00Z'))).toBe(true);
    expect(isWindowOpen(window, new Date('2025-01-06T04:30:00Z'))).toBe(false);
  });
});
