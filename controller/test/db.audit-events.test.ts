import { describe, expect, it } from 'vitest';
import {
  finishOperation,
  insertOperation,
  insertServer,
  listAuditEvents,
  markOperationRunning,
  OperationExistsError,
  recordAuditEvent,
  recordAuditEvents,
} from '../src/db/index.js';
import { useTestPostgres, secondsAfter, T0 } from './db.fixtures.js';

const t = useTestPostgres();

describe('audit events', () => {
  it('one event delivered several times at once is recorded once', async () => {
    const event = { at: T0, actor: 'agent:web-1', kind: 'staged', subject: 'web-1', sourceEventId: 'evt-1' };
    const results = await Promise.all(Array.from({ length: 5 }, () => recordAuditEvent(t.db, event)));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await listAuditEvents(t.db, { limit: 10 })).toHaveLength(1);
  });

  it('a batch is recorded in its order, every field kept, an event already recorded or repeated in it once', async () => {
    const server = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await recordAuditEvent(t.db, { at: T0, actor: 'agent:web-1', kind: 'staged', subject: 'web-1', sourceEventId: 'evt-1' });
    await recordAuditEvents(t.db, [
      { at: secondsAfter(T0, 1), actor: 'agent:web-1', serverId: server.id, kind: 'switched', subject: 'web-1', sourceEventId: 'evt-2' },
      { at: secondsAfter(T0, 2), actor: 'agent:web-1', kind: 'staged', subject: 'web-1', sourceEventId: 'evt-1' },
      {
        at: secondsAfter(T0, 3),
        actor: 'controller',
        kind: 'campaign.target',
        subject: 'web-1',
        data: { campaignId: 'c-1', state: 'staging' },
      },
      { at: secondsAfter(T0, 4), actor: 'agent:web-1', kind: 'switched', subject: 'web-1', sourceEventId: 'evt-2' },
    ]);
    const listed = (await listAuditEvents(t.db, { limit: 10 })).reverse();
    expect(
      listed.map(({ at, actor, serverName, kind, subject, data, sourceEventId }) => ({
        at,
        actor,
        serverName,
        kind,
        subject,
        data,
        sourceEventId,
      })),
    ).toEqual([
      { at: T0, actor: 'agent:web-1', serverName: null, kind: 'staged', subject: 'web-1', data: {}, sourceEventId: 'evt-1' },
      {
        at: secondsAfter(T0, 1),
        actor: 'agent:web-1',
        serverName: 'web-1',
        kind: 'switched',
        subject: 'web-1',
        data: {},
        sourceEventId: 'evt-2',
      },
      {
        at: secondsAfter(T0, 3),
        actor: 'controller',
        serverName: null,
        kind: 'campaign.target',
        subject: 'web-1',
        data: { campaignId: 'c-1', state: 'staging' },
        sourceEventId: null,
      },
    ]);
  });

  it('an unknown server has no events', async () => {
    await recordAuditEvent(t.db, { at: T0, actor: 'controller', kind: 'started', subject: 'controller' });
    expect(await listAuditEvents(t.db, { server: 'nobody', limit: 10 })).toEqual([]);
  });
});

describe('operations', () => {
  it('an operation id is recorded once', async () => {
    await insertOperation(t.db, { id: 'op-1', serverId: null, kind: 'update', requestedBy: 'alice' });
    await expect(insertOperation(t.db, { id: 'op-1', serverId: null, kind: 'update', requestedBy: 'bob' })).rejects.toThrow(
      OperationExistsError,
    );
  });

  it('goes pending, running, then finished; a finished operation is not running again', async () => {
    await insertOperation(t.db, { id: 'op-1', serverId: null, kind: 'rollback', requestedBy: 'alice' }, T0);
    expect(await markOperationRunning(t.db, 'op-1')).toMatchObject({ state: 'running' });
    expect(await finishOperation(t.db, 'op-1', { state: 'failed', error: 'agent unreachable' }, secondsAfter(T0, 3))).toMatchObject({
      state: 'failed',
      error: 'agent unreachable',
      finishedAt: secondsAfter(T0, 3),
    });
    expect(await markOperationRunning(t.db, 'op-1')).toBeUndefined();
  });
});
