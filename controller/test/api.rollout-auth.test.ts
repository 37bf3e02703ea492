import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRolloutService, type ListRolloutsResponse, type Rollout, type RolloutServiceClient, type RolloutUpdate } from '@wofleet/proto';
import { issueCertificate, type FleetCa } from '@wofleet/shared';
import { readFleetCa } from '../src/ca/files.js';
import { listCampaigns } from '../src/campaigns/index.js';
import { channelOptions } from '../src/grpc/channel-options.js';
import { seedFleet } from './campaigns.fixtures.js';
import { createTestFleet, rawClientCredentials, readOperatorIdentity, type Identity, type TestFleet } from './cli.fixtures.js';
import { createCampaignRepository } from '../src/campaign-store/index.js';

/**
 * RolloutService called directly over gRPC, as any client could: only operators are
 * served (the stream too), and the controller checks every request itself whatever
 * the CLI checked before sending it.
 */
let fleet: TestFleet;
let ca: FleetCa;
let alice: Identity;
beforeAll(async () => {
  fleet = await createTestFleet({ runCampaigns: false });
  ca = await readFleetCa(fleet.dataDir);
  alice = await readOperatorIdentity(fleet);
  await seedFleet(fleet.db, [{ name: 'web-1' }, { name: 'web-2' }]);
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

function client(identity?: Identity): RolloutServiceClient {
  const { Client } = loadRolloutService();
  return new Client(fleet.address, rawClientCredentials(ca.certPem, identity), channelOptions(fleet.address));
}

function unary<Res>(start: (metadata: Metadata, callback: (err: ServiceError | null, value?: Res) => void) => void): Promise<Res> {
  return new Promise((resolve, reject) => start(new Metadata(), (err, value) => (err ? reject(err) : resolve(value as Res))));
}

/** Every message of a WatchRollout stream, or the status it failed with. */
async function watchAll(c: RolloutServiceClient, id: string): Promise<RolloutUpdate[]> {
  const updates: RolloutUpdate[] = [];
  for await (const update of c.WatchRollout({ id }) as AsyncIterable<RolloutUpdate>) updates.push(update);
  return updates;
}

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('the call succeeded');
    },
    (err: ServiceError) => err,
  );
}

const REQUEST = {
  release: '6.5.5',
  servers: ['web-1', 'web-2'],
  canary: 'web-1',
  waves: '1,1',
};

describe('who may call RolloutService', () => {
  it.each([
    ['no client certificate', async () => undefined, 'no client certificate of the fleet CA'],
    [
      'an agent certificate',
      async () => issueCertificate({ ca, role: 'agent', name: 'web-1', validDays: 1 }),
      'belongs to agent web-1, not an operator',
    ],
  ])('refuses %s, for calls and for the watch stream', async (_what, identity, reason) => {
    const c = client(await identity());
    const listed = await rejection(unary<ListRolloutsResponse>((m, cb) => c.ListRollouts({}, m, cb)));
    expect(listed.code).toBe(status.PERMISSION_DENIED);
    expect(listed.details).toContain(reason);
    const started = await rejection(unary<Rollout>((m, cb) => c.StartRollout(REQUEST, m, cb)));
    expect(started.code).toBe(status.PERMISSION_DENIED);
    const watched = await rejection(watchAll(c, '6f1c1d3e-0000-4000-8000-000000000000'));
    expect(watched.code).toBe(status.PERMISSION_DENIED);
    expect(watched.details).toContain(reason);
    expect(await listCampaigns({ repository: createCampaignRepository(fleet.db) })).toEqual([]);
  });
});

describe('what the controller checks itself', () => {
  it.each([
    ['bad waves', { ...REQUEST, waves: '1,x' }, "invalid --waves '1,x'"],
    ['a bad window', { ...REQUEST, window: 'Mon-Fri 25:00-05:00 UTC' }, "invalid --window 'Mon-Fri 25:00-05:00 UTC'"],
    ['a bad duration', { ...REQUEST, healthyDeadline: 'soon' }, "invalid --healthy-deadline 'soon'"],
    ['an unknown server', { ...REQUEST, servers: ['web-1', 'ghost'] }, "--servers: unknown server 'ghost'"],
  ])('refuses %s with INVALID_ARGUMENT and records nothing', async (_what, request, message) => {
    const err = await rejection(unary<Rollout>((m, cb) => client(alice).StartRollout(request, m, cb)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain(message);
    expect(await listCampaigns({ repository: createCampaignRepository(fleet.db) })).toEqual([]);
  });

  it('refuses an action it does not know, and a malformed campaign id', async () => {
    const started = await unary<Rollout>((m, cb) => client(alice).StartRollout(REQUEST, m, cb));
    const unknownAction = await rejection(unary<Rollout>((m, cb) => client(alice).ActOnRollout({ id: started.id }, m, cb)));
    expect(unknownAction.code).toBe(status.INVALID_ARGUMENT);
    expect(unknownAction.details).toBe(
      "unknown rollout action 'ROLLOUT_ACTION_UNSPECIFIED': expected one of pause, resume, promote, abort, rollback",
    );
    const badId = await rejection(unary<Rollout>((m, cb) => client(alice).GetRollout({ id: "1' or '1'='1" }, m, cb)));
    expect(badId.code).toBe(status.INVALID_ARGUMENT);
    const badWatch = await rejection(watchAll(client(alice), 'nope'));
    expect(badWatch.code).toBe(status.INVALID_ARGUMENT);
    const aborted = await unary<Rollout>((m, cb) => client(alice).ActOnRollout({ id: started.id, action: 'ROLLOUT_ACTION_ABORT' }, m, cb));
    expect(aborted.state).toBe('ROLLOUT_STATE_ABORTING');
  });
});
