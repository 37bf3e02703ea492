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
    });
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
  ])('refuses %j', (overrides, message) => {
    expect(refusal(() => parseCampaignRequest(requestText(overrides)))).toContain(message);
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
