import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadControllerService, type ControllerServiceClient, type EnrollResponse } from '@wofleet/proto';
import { createCsr, createFleetCa, issueCertificate, peerIdentity, type FleetCa } from '@wofleet/shared';
import { createNatsUser } from '@wofleet/shared/nats';
import { readFleetCa } from '../src/ca/files.js';
import { findServerByName, listAuditEvents, listReleases, listServers, tables } from '../src/db/index.js';
import { hashEnrollmentToken } from '../src/enrollment/token.js';
import { channelOptions } from '../src/grpc/channel-options.js';
import { REASON_METADATA_KEY, TOKEN_TTL_METADATA_KEY } from '../src/grpc/metadata.js';
import { createTestFleet, rawClientCredentials, readOperatorIdentity, type Identity, type TestFleet } from './cli.fixtures.js';

/**
 * ControllerService called directly over gRPC: who may call what (Enroll without a
 * client certificate, everything else with an operator certificate of the fleet CA),
 * and what the controller itself checks, whatever a client sends.
 */
let fleet: TestFleet;
let ca: FleetCa;
let alice: Identity;
beforeAll(async () => {
  fleet = await createTestFleet();
  ca = await readFleetCa(fleet.dataDir);
  alice = await readOperatorIdentity(fleet);
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

function client(identity?: Identity): ControllerServiceClient {
  const { Client } = loadControllerService();
  return new Client(fleet.address, rawClientCredentials(ca.certPem, identity), channelOptions(fleet.address));
}

type Callback<Res> = (err: ServiceError | null, value?: Res) => void;

function call<Res>(start: (metadata: Metadata, callback: Callback<Res>) => void, metadata = new Metadata()): Promise<Res> {
  return new Promise((resolve, reject) => start(metadata, (err, value) => (err ? reject(err) : resolve(value as Res))));
}

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('the call succeeded');
    },
    (err: ServiceError) => err,
  );
}

async function snapshot() {
  return {
    servers: await listServers(fleet.db),
    releases: await listReleases(fleet.db),
    events: (await listAuditEvents(fleet.db, { limit: 1000 })).length,
  };
}

describe('who may call ControllerService', () => {
  it('serves operator methods to an operator certificate of the fleet CA', async () => {
    const answer = await call<{ servers: unknown[] }>((m, cb) => client(alice).ListServers({}, m, cb));
    expect(Array.isArray(answer.servers)).toBe(true);
  });

  it.each([
    ['no client certificate', async () => undefined, 'no client certificate of the fleet CA'],
    [
      'an agent certificate',
      async () => issueCertificate({ ca, role: 'agent', name: 'web-1', validDays: 1 }),
      'belongs to agent web-1, not an operator',
    ],
    [
      'the controller certificate',
      async () => ({
        certPem: await readFile(path.join(fleet.dataDir, 'controller.pem'), 'utf8'),
        keyPem: await readFile(path.join(fleet.dataDir, 'controller.key'), 'utf8'),
      }),
      'belongs to controller ctl-1, not an operator',
    ],
    [
      'an operator certificate of another CA',
      async () =>
        issueCertificate({
          ca: await createFleetCa({ commonName: 'rogue', validDays: 1 }),
          role: 'operator',
          name: 'mallory',
          validDays: 1,
        }),
      'no client certificate of the fleet CA',
    ],
  ])('refuses operator methods to %s (PERMISSION_DENIED)', async (_who, identity, reason) => {
    const c = client(await identity());
    const err = await rejection(call((m, cb) => c.AddServer({ name: 'sneaky', address: 'sneaky:7443' }, m, cb)));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.details).toContain(reason);
    expect(await findServerByName(fleet.db, 'sneaky')).toBeUndefined();
  });

  it('lets Enroll through without a client certificate: a bad token is refused by the token check', async () => {
    const csr = await createCsr({ role: 'agent', name: 'nobody' });
    const err = await rejection(
      call((m, cb) => client().Enroll({ token: 'x'.repeat(43), serverName: 'nobody', csrPem: csr.csrPem }, m, cb)),
    );
    expect(err.code).toBe(status.UNAUTHENTICATED);
    expect(err.details).toContain('enrollment token not recognised');
    expect(err.metadata.get(REASON_METADATA_KEY)).toEqual(['unknown']);
  });
});

describe('Enroll', () => {
  it('stores only the SHA-256 of a token', async () => {
    const token = await fleet.addServer('hashed');
    const rows = await fleet.db.select({ tokenHash: tables.enrollmentTokens.tokenHash }).from(tables.enrollmentTokens);
    const hashes = rows.map((r) => r.tokenHash);
    expect(hashes).toContain(hashEnrollmentToken(token));
    expect(hashes).not.toContain(token);
  });

  it("names the certificate after the token's server with role agent, whatever the CSR asks for", async () => {
    const token = await fleet.addServer('web-7');
    const csr = await createCsr({ role: 'controller', name: 'evil', dnsNames: ['evil.example.com'] });

    const answer = await call<EnrollResponse>((m, cb) => client().Enroll({ token, serverName: 'web-7', csrPem: csr.csrPem }, m, cb));

    expect(peerIdentity(answer.certificatePem)).toEqual({ role: 'agent', name: 'web-7' });
    expect(answer.certificatePem).not.toContain('evil');
    expect(answer.caPem).toBe(ca.certPem);
  });

  it('refuses a request that is not a CSR (INVALID_ARGUMENT) and leaves the token usable', async () => {
    const token = await fleet.addServer('web-8');
    const err = await rejection(call((m, cb) => client().Enroll({ token, serverName: 'web-8', csrPem: 'garbage' }, m, cb)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe('not a PEM certificate request');
    expect((await findServerByName(fleet.db, 'web-8'))?.enrolledAt).toBeNull();

    const csr = await createCsr({ role: 'agent', name: 'web-8' });
    await call<EnrollResponse>((m, cb) => client().Enroll({ token, serverName: 'web-8', csrPem: csr.csrPem }, m, cb));
    expect((await findServerByName(fleet.db, 'web-8'))?.enrolledAt).toBeInstanceOf(Date);
  });

  it('refuses a NATS public key that is not a user nkey (INVALID_ARGUMENT) and leaves the token usable', async () => {
    const token = await fleet.addServer('web-10');
    const csr = await createCsr({ role: 'agent', name: 'web-10' });
    const user = createNatsUser();
    for (const natsPublicKey of [user.seed, `A${user.publicKey.slice(1)}`, 'not-a-key']) {
      const err = await rejection(
        call((m, cb) => client().Enroll({ token, serverName: 'web-10', csrPem: csr.csrPem, natsPublicKey }, m, cb)),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toBe('enrollment request with a NATS public key that is not a user nkey (U...)');
    }
    expect((await findServerByName(fleet.db, 'web-10'))?.enrolledAt).toBeNull();

    await call<EnrollResponse>((m, cb) =>
      client().Enroll({ token, serverName: 'web-10', csrPem: csr.csrPem, natsPublicKey: user.publicKey }, m, cb),
    );
    expect((await findServerByName(fleet.db, 'web-10'))?.natsPublicKey).toBe(user.publicKey);
  });

  it('of two enrollments racing with one token, exactly one gets a certificate', async () => {
    const token = await fleet.addServer('web-9');
    const csrs = await Promise.all([1, 2, 3].map(() => createCsr({ role: 'agent', name: 'web-9' })));
    const results = await Promise.allSettled(
      csrs.map((csr) => call<EnrollResponse>((m, cb) => client().Enroll({ token, serverName: 'web-9', csrPem: csr.csrPem }, m, cb))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as ServiceError).details).toContain('enrollment token already used');
  });
});

describe('the controller validates what operators send, whatever the client checked', () => {
  it.each([
    ['a bad server name', { name: 'Web_1', address: 'web-1:7443' }, "invalid server name 'Web_1'"],
    ['an address without port', { name: 'web-1', address: 'web-1' }, "invalid --address 'web-1': expected HOST:PORT"],
    ['a port out of range', { name: 'web-1', address: 'web-1:65536' }, 'port 65536 is out of range 1-65535'],
    ['a bad label', { name: 'web-1', address: 'web-1:7443', labels: { 'bad key': 'x' } }, "invalid label 'bad key=x'"],
  ])('AddServer with %s is INVALID_ARGUMENT and writes nothing', async (_what, request, message) => {
    const before = await snapshot();
    const err = await rejection(call((m, cb) => client(alice).AddServer(request, m, cb)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain(message);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an enrollment token lifetime out of range', async () => {
    const metadata = new Metadata();
    metadata.set(TOKEN_TTL_METADATA_KEY, String(30 * 24 * 3600));
    const err = await rejection(call((m, cb) => client(alice).AddServer({ name: 'long-ttl', address: 'long-ttl:7443' }, m, cb), metadata));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe('invalid --token-ttl: must be from 1m to 7d');
  });

  it.each([
    ['without a digest', { version: '6.5.5' }, 'release 6.5.5 needs the archive digest'],
    ['with a malformed version', { version: '6.x', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) } }, "invalid WordPress version '6.x'"],
  ])('AddRelease %s is INVALID_ARGUMENT and writes nothing', async (_what, request, message) => {
    const before = await snapshot();
    const err = await rejection(call((m, cb) => client(alice).AddRelease(request, m, cb)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain(message);
    expect(await snapshot()).toEqual(before);
  });
});
