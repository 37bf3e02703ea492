import { describe, expect, it } from 'vitest';
import type { PresenceFacts, ServerStatus } from '../src/db/index.js';
import {
  decideEvent,
  decideHeartbeat,
  IGNORED,
  offlineAudits,
  maySweep,
  parseAgentEvent,
  parseHeartbeat,
  PRESENCE_AUDIT,
  type AgentEventMessage,
  type HeartbeatMessage,
} from '../src/presence/index.js';

const T0 = new Date('2025-01-01T12:00:00.000Z');
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const server = (status: ServerStatus, health: PresenceFacts['health'] = null): PresenceFacts => ({
  id: 'id-web-1',
  name: 'web-1',
  status,
  health,
});

const beat: HeartbeatMessage = {
  serverId: 'web-1',
  agentVersion: '0.1.0',
  uptimeSeconds: 12,
  at: T0.toISOString(),
  current: { release: 'r-6.5.5', version: '6.5.5' },
  canary: null,
  sites: 2,
  health: 'ok',
  diskFreeBytes: 1_000,
};

function event(type: string, data: Record<string, unknown>): AgentEventMessage {
  const parsed = parseAgentEvent(
    'wofleet.agent.web-1.event',
    bytes({ id: `e-${type}`, type, serverId: 'web-1', at: T0.toISOString(), data }),
  );
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

describe('parsing heartbeats', () => {
  it('accepts the agent heartbeat, with or without its summary', () => {
    expect(parseHeartbeat('wofleet.agent.web-1.heartbeat', bytes(beat))).toEqual({ ok: true, value: beat });
    const own = { serverId: 'web-1', agentVersion: '0.1.0', uptimeSeconds: 1, at: T0.toISOString(), summaryError: 'timeout' };
    expect(parseHeartbeat('wofleet.agent.web-1.heartbeat', bytes(own))).toEqual({ ok: true, value: own });
  });

  it.each([
    ['not JSON', 'wofleet.agent.web-1.heartbeat', '{nope', /not JSON/],
    ['a missing agent version', 'wofleet.agent.web-1.heartbeat', { ...beat, agentVersion: undefined }, /^agentVersion: /],
    ['an unknown health', 'wofleet.agent.web-1.heartbeat', { ...beat, health: 'fine' }, /^health: /],
    ['a time without zone', 'wofleet.agent.web-1.heartbeat', { ...beat, at: '2025-01-01 12:00' }, /^at: /],
    ['another server than its subject', 'wofleet.agent.web-2.heartbeat', beat, /does not match/],
    ['a foreign subject', 'other.web-1.heartbeat', beat, /unexpected subject/],
  ])('refuses %s', (_case, subject, payload, reason) => {
    const parsed = parseHeartbeat(subject, bytes(payload));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

/** A site as the agent's `Site` message puts it in site-created/converted events. */
const WIRE_SITE = {
  domain: 'a.test',
  php: '8.2',
  cache: 'wpfc',
  ssl: true,
  link: 'SITE_LINK_CURRENT',
  release: 'r1',
  version: '6.4.5',
  health: 'HEALTH_LEVEL_DEGRADED',
  problem: 'db_version 1, expected 2',
  diskBytes: 81920,
};

describe('parsing events', () => {
  it('keeps an event of a type it does not know, as not applicable', () => {
    expect(event('pruned', { removed: ['r1'] })).toMatchObject({ type: 'pruned', known: false, data: { removed: ['r1'] } });
  });

  it.each([
    ['a site event without domain', { id: 'e1', type: 'site-created', serverId: 'web-1', at: T0.toISOString(), data: { release: 'r1' } }],
    [
      'a site whose facts lack a field',
      {
        id: 'e1',
        type: 'site-created',
        serverId: 'web-1',
        at: T0.toISOString(),
        data: { domain: 'a.test', release: 'r1', site: { ...WIRE_SITE, diskBytes: undefined } },
      },
    ],
    [
      'a site whose health is no level',
      {
        id: 'e1',
        type: 'site-created',
        serverId: 'web-1',
        at: T0.toISOString(),
        data: { domain: 'a.test', release: 'r1', site: { ...WIRE_SITE, health: 'fine' } },
      },
    ],
    ['a switch without version', { id: 'e1', type: 'switched', serverId: 'web-1', at: T0.toISOString(), data: { to: 'r1' } }],
    ['an event without id', { type: 'staged', serverId: 'web-1', at: T0.toISOString(), data: {} }],
    ['data that is not an object', { id: 'e1', type: 'staged', serverId: 'web-1', at: T0.toISOString(), data: [1] }],
  ])('refuses %s', (_case, payload) => {
    expect(parseAgentEvent('wofleet.agent.web-1.event', bytes(payload)).ok).toBe(false);
  });
});

describe('deciding on a heartbeat', () => {
  it('ignores a server that is not enrolled', () => {
    expect(decideHeartbeat(beat, undefined, T0)).toEqual({ kind: 'ignore', reason: IGNORED.notEnrolled });
  });

  it('records the beat of an online server without an audit event', () => {
    expect(decideHeartbeat(beat, server('online'), T0)).toEqual({
      kind: 'record',
      serverName: 'web-1',
      report: { agentVersion: '0.1.0', current: beat.current, canary: null, sites: 2, health: 'ok', diskFreeBytes: 1_000 },
      status: 'online',
    });
  });

  it.each([
    ['degraded', null, 'degraded'],
    ['unhealthy', 'ok', 'degraded'],
    ['ok', 'unhealthy', 'online'],
    [undefined, 'unhealthy', 'degraded'],
    [undefined, 'degraded', 'degraded'],
    [undefined, null, 'online'],
  ] as const)('a beat with health %s on a server last reported %s makes it %s', (health, stored, status) => {
    expect(decideHeartbeat({ ...beat, health }, server('online', stored), T0)).toMatchObject({ kind: 'record', status });
  });

  it.each([
    ['pending', 'ok', null, 'online'],
    ['offline', 'degraded', 'ok', 'degraded'],
    ['offline', undefined, 'unhealthy', 'degraded'],
    ['offline', undefined, null, 'online'],
  ] as const)('a %s server beating with health %s (stored %s) comes back %s, audited', (from, health, stored, to) => {
    const decision = decideHeartbeat({ ...beat, health }, server(from, stored), T0);
    expect(decision).toMatchObject({
      kind: 'record',
      audit: { kind: PRESENCE_AUDIT.cameOnline, serverId: 'id-web-1', subject: 'web-1', actor: 'controller', at: T0, data: { from, to } },
    });
  });
});

describe('deciding on an event', () => {
  it('ignores a server that is not enrolled', () => {
    expect(decideEvent(event('staged', {}), undefined)).toEqual({ kind: 'ignore', reason: IGNORED.notEnrolled });
  });

  it.each([
    ['site-created', { domain: 'a.test', release: 'r1' }, 'a.test', [{ kind: 'site-on-release', domain: 'a.test', release: 'r1' }]],
    ['site-converted', { domain: 'a.test', release: 'r1' }, 'a.test', [{ kind: 'site-on-release', domain: 'a.test', release: 'r1' }]],
    [
      'site-created',
      { domain: 'a.test', release: 'r1', site: WIRE_SITE },
      'a.test',
      [
        {
          kind: 'site-on-release',
          domain: 'a.test',
          release: 'r1',
          facts: {
            domain: 'a.test',
            php: '8.2',
            cache: 'wpfc',
            ssl: true,
            release: 'r1',
            version: '6.4.5',
            health: 'degraded',
            diskBytes: 81920,
          },
        },
      ],
    ],
    ['site-removed', { domain: 'a.test' }, 'a.test', [{ kind: 'site-gone', domain: 'a.test' }]],
    ['site-reverted', { domain: 'a.test' }, 'a.test', [{ kind: 'site-gone', domain: 'a.test' }]],
    ['switched', { from: 'r1', to: 'r2', version: '6.6.2' }, 'r2', [{ kind: 'core-switched', release: 'r2', version: '6.6.2' }]],
    ['rolled-back', { from: 'r2', to: 'r1', version: '6.5.5' }, 'r1', [{ kind: 'core-switched', release: 'r1', version: '6.5.5' }]],
    ['health-changed', { from: 'ok', to: 'unhealthy' }, 'web-1', [{ kind: 'health', health: 'unhealthy' }]],
    [
      'health-changed',
      { from: 'ok', to: 'degraded', sites: { 'a.test': 'ok', 'b.test': 'degraded' } },
      'web-1',
      [{ kind: 'health', health: 'degraded', sites: { 'a.test': 'ok', 'b.test': 'degraded' } }],
    ],
    ['staged', { release: 'r3' }, 'web-1', []],
    ['pruned', { removed: ['r0'] }, 'web-1', []],
  ])('%s is recorded under its id and changes %j', (type, data, subject, changes) => {
    expect(decideEvent(event(type, data), server('online'))).toEqual({
      kind: 'apply',
      serverId: 'id-web-1',
      audit: { at: T0, actor: 'agent:web-1', serverId: 'id-web-1', kind: type, subject, data, sourceEventId: `e-${type}` },
      changes,
    });
  });
});

describe('when silence says something', () => {
  const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

  it.each([
    [0, 10, false],
    [29.9, 10, false],
    [30, 10, true],
    [100, 10, true],
    [3, 1, true],
  ])('%s s after the link came up with %s s beats: sweep %s', (elapsed, period, sweep) => {
    expect(maySweep(at(elapsed), T0, period)).toBe(sweep);
  });

  it('never while the link is down', () => {
    expect(maySweep(at(3_600), undefined, 10)).toBe(false);
  });

  it('audits each server taken offline at the instants the database judged it by', () => {
    expect(offlineAudits([{ id: 'id-web-1', name: 'web-1', lastSeenBefore: T0, at: at(30) }])).toEqual([
      {
        at: at(30),
        actor: 'controller',
        serverId: 'id-web-1',
        kind: PRESENCE_AUDIT.wentOffline,
        subject: 'web-1',
        data: { lastSeenBefore: T0.toISOString(), missedHeartbeats: 3 },
      },
    ]);
  });
});
