import type { FleetSite, Server } from '@wofleet/proto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { drawStatusLine, printAboveStatusLine, printErrorLine, printJson, printLines } from '../src/cli/output.js';
import { renderServer, renderServers, renderSites } from '../src/cli/render.js';
import { renderCampaign, renderEvent, renderProgressLine } from '../src/cli/rollout-render.js';
import { CAMPAIGN_ID, sampleView, STARTED } from './rollout.fixtures.js';

/**
 * What the CLI prints of fields an agent reported (a compromised agent chooses them):
 * no escape sequence, no control character, one line per line; JSON stays JSON.
 */
const CSI_RED = '\u001b[31m';
const OSC_TITLE = '\u001b]0;owned\u0007';
const C1_CSI = '\u009b2J';
/** Any control character at all (C0, DEL, C1). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const server: Server = {
  name: 'web-1',
  address: 'web-1:7443',
  labels: {},
  canary: false,
  state: 'SERVER_STATE_ONLINE',
  enrolledAt: '2025-01-01T00:00:00.000Z',
  lastSeenAt: '2025-01-01T00:01:00.000Z',
  agentVersion: `0.1.0${OSC_TITLE}`,
  current: { id: `${CSI_RED}r-evil\u001b[0m`, version: `6.5.5${C1_CSI}`, dbVersion: 1 },
  sites: 2,
  certificateFingerprint: '',
  certificateNotAfter: '',
};

const site: FleetSite = {
  server: 'web-1',
  site: {
    domain: 'a.test',
    php: `8.2${CSI_RED}`,
    cache: 'wpfc\r\nINJECTED',
    ssl: true,
    link: 'SITE_LINK_CURRENT',
    release: 'r1',
    version: '6.5.5',
    health: 'HEALTH_LEVEL_OK',
    problem: '',
    diskBytes: 0,
  },
};

/** Everything written to stdout (and stderr) while `print` runs. */
function captured(stream: 'stdout' | 'stderr', print: () => void): string {
  let text = '';
  vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  print();
  vi.restoreAllMocks();
  return text;
}

afterEach(() => vi.restoreAllMocks());

describe('fields from agents, printed for humans', () => {
  it('a table drops escape sequences whole, and its columns still line up', () => {
    const lines = renderServers([server]);
    for (const line of lines) expect(line).not.toMatch(CONTROL);
    expect(lines[1]).toContain('6.5.5 (r-evil)');
    expect(lines[1]).not.toContain('[31m');
    expect(lines[1]?.indexOf('6.5.5')).toBe(lines[0]?.indexOf('RELEASE'));
  });

  it('a line break in a site fact cannot start a line of its own', () => {
    const lines = renderSites([site]);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^web-1\s+a\.test\s+6\.5\.5\s+r1\s+8\.2\s+wpfc {2}INJECTED\s+yes/);
  });

  it('printed lines (server details, campaign reasons) carry no control character', () => {
    const view = sampleView();
    const poisoned = { ...view, targets: view.targets.map((t) => ({ ...t, reason: `proof failed${CSI_RED}\nweb-9 (wave 0): succeeded` })) };
    const out = captured('stdout', () => printLines([...renderServer(server), ...renderCampaign(poisoned, STARTED)]));
    expect(out.split('\n').every((line) => !CONTROL.test(line))).toBe(true);
    expect(out).toContain('agent version: 0.1.0\n');
    expect(out).not.toMatch(/^web-9 \(wave 0\)/m);
  });

  it('rollout watch: the events and the status line are printable text between its own escapes', () => {
    const event = { campaignId: CAMPAIGN_ID, at: STARTED.toISOString(), scope: 'target' as const, state: 'failed' as const, wave: 1 };
    const out = captured('stdout', () => {
      printAboveStatusLine(renderEvent({ ...event, server: 'web-2', reason: `unhealthy${OSC_TITLE}${C1_CSI}` }));
      drawStatusLine(`${renderProgressLine(sampleView(), STARTED)}${CSI_RED}`);
    });
    const withoutOwnEscapes = out.replaceAll('\r\u001b[K', '');
    expect(withoutOwnEscapes.replace(/\n/g, '')).not.toMatch(CONTROL);
    expect(withoutOwnEscapes).toContain('web-2 (wave 1): failed (unhealthy)\n');
  });

  it('an error line on stderr is one printable line', () => {
    const err = captured('stderr', () => printErrorLine(`live status unavailable: agent said ${CSI_RED}boom\nwofleet: forged`));
    expect(err).toBe('wofleet: live status unavailable: agent said boom wofleet: forged\n');
  });
});

describe('fields from agents, printed as JSON', () => {
  it('every control character is escaped, DEL and C1 included, and the value reads back unchanged', () => {
    const out = captured('stdout', () => printJson(server));
    expect(out.replaceAll('\n', '')).not.toMatch(CONTROL);
    expect(out).toContain('\\u009b2J');
    expect(JSON.parse(out)).toEqual(server);
  });
});
