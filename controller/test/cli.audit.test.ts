import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/cli/audit.js';
import { recordAuditEvent } from '../src/db/index.js';
import { createTestFleet, type TestFleet } from './cli.fixtures.js';

/** `wofleet audit` through the built CLI against a running controller (ListAudit). */

const CAMPAIGN = '2b1f0c3e-1111-4a2b-9c3d-0123456789ab';
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await createTestFleet({ runCampaigns: false });
  await fleet.addServer('web-1');
  await fleet.addServer('web-2');
  // A campaign's start (fleet-wide) and a step on web-1 (the server by subject only), as campaign-store writes them.
  await recordAuditEvent(fleet.db, {
    at: hoursAgo(3),
    actor: 'operator:alice',
    kind: 'campaign.state',
    subject: CAMPAIGN,
    data: { campaignId: CAMPAIGN, scope: 'campaign', state: 'running', reason: 'started: 6.5.5' },
  });
  await recordAuditEvent(fleet.db, {
    at: hoursAgo(2),
    actor: 'controller:ctl-1/ab12',
    kind: 'campaign.target',
    subject: 'web-1',
    data: { campaignId: CAMPAIGN, scope: 'target', state: 'succeeded', server: 'web-1', wave: 0 },
  });
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

describe('wofleet audit', () => {
  it('prints the newest events oldest first as a table, and as JSON with their data', async () => {
    const human = await fleet.wofleet(['audit']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+ACTOR\s+KIND\s+SUBJECT\s+DETAILS$/);
    expect(lines[3]).toMatch(
      /^\S+Z\s+operator:alice\s+campaign\.state\s+2b1f0c3e-\S+\s+scope=campaign state=running reason="started: 6\.5\.5"$/,
    );
    expect(lines).toHaveLength(5);
    const entries = await fleet.wofleetJson<AuditEntry[]>(['audit']);
    // In the order recorded (ids), whatever time each event says it happened at.
    expect(entries.map((e) => [e.kind, e.subject])).toEqual([
      ['server-added', 'web-1'],
      ['server-added', 'web-2'],
      ['campaign.state', CAMPAIGN],
      ['campaign.target', 'web-1'],
    ]);
    expect(entries[0]).toMatchObject({ actor: 'operator:alice', server: 'web-1', data: { address: 'web-1.example.com:7443' } });
    expect(entries[2]?.data).toMatchObject({ campaignId: CAMPAIGN, state: 'running' });
  });

  it('filters by server (its own events and those about it), by campaign, by --since and --limit', async () => {
    const kinds = async (args: string[]) =>
      (await fleet.wofleetJson<AuditEntry[]>(['audit', ...args])).map((e) => `${e.kind} ${e.subject}`);
    expect(await kinds(['--server', 'web-1'])).toEqual(['server-added web-1', 'campaign.target web-1']);
    expect(await kinds(['--campaign', CAMPAIGN])).toEqual([`campaign.state ${CAMPAIGN}`, 'campaign.target web-1']);
    expect(await kinds(['--since', '150m'])).toEqual(['server-added web-1', 'server-added web-2', 'campaign.target web-1']);
    expect(await kinds(['--since', hoursAgo(1).toISOString()])).toEqual(['server-added web-1', 'server-added web-2']);
    expect(await kinds(['--limit', '1'])).toEqual(['campaign.target web-1']);
    expect(await kinds(['--server', 'web-2', '--since', '1h', '--limit', '5'])).toEqual(['server-added web-2']);
  });

  it('refuses an unknown server or campaign (exit 1) and bad flags (exit 2), each in one line', async () => {
    const cases: Array<[string[], number, string]> = [
      [['--server', 'ghost'], 1, "wofleet: error: unknown server 'ghost': not in the inventory and not in the audit trail"],
      [
        ['--campaign', '2b1f0c3e-2222-4a2b-9c3d-0123456789ab'],
        1,
        "wofleet: error: unknown campaign '2b1f0c3e-2222-4a2b-9c3d-0123456789ab'",
      ],
      [
        ['--since', 'yesterday'],
        2,
        "wofleet: error: invalid --since 'yesterday': expected a duration back from now (30m, 1h, 7d) or a timestamp (2026-12-04T10:00:00Z)",
      ],
      [['--since', '3w'], 2, "wofleet: error: invalid --since '3w': expected a duration like 90s, 5m or 1h30m (units d, h, m, s)"],
      [['--limit', '0'], 2, "wofleet: error: invalid --limit '0': a whole number from 1 to 10000"],
      [
        ['--server', 'Web_1'],
        2,
        "wofleet: error: invalid server name 'Web_1': must be 1-63 lower-case letters, digits or hyphens, starting with a letter or digit",
      ],
    ];
    for (const [args, code, line] of cases) {
      const r = await fleet.wofleet(['audit', ...args]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code, stderr: `${line}\n` });
    }
  });
});
