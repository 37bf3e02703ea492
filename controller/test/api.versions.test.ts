import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadControllerService,
  versionClientInterceptor,
  type ControllerServiceClient,
  type EnrollResponse,
  type Server,
} from '@wofleet/proto';
import { createCsr, peerIdentity, WOFLEET_VERSION, type FleetCa } from '@wofleet/shared';
import { readFleetCa } from '../src/ca/files.js';
import { findServerByName } from '../src/db/index.js';
import { channelOptions } from '../src/grpc/channel-options.js';
import {
  createTestAgent,
  createTestFleet,
  rawClientCredentials,
  readOperatorIdentity,
  type Identity,
  type TestFleet,
} from './cli.fixtures.js';

/**
 * The version handshake on the controller (docs/COMPATIBILITY.md): every call's
 * `wofleet-version` is judged before a handler runs; Enroll also judges the version the
 * agent puts in its request, refuses before the token is used, and records it.
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

/** A client that sends `version` as its wofleet-version, or no header at all (a wofleet before 0.2.0). */
function clientOf(version: string | 'none', identity?: Identity): ControllerServiceClient {
  const { Client } = loadControllerService();
  const { interceptors: _ours, ...options } = channelOptions(fleet.address);
  const interceptors = version === 'none' ? [] : [versionClientInterceptor(version)];
  return new Client(fleet.address, rawClientCredentials(ca.certPem, identity), {
    ...options,
    interceptors,
  });
}

function listServers(client: ControllerServiceClient): Promise<{ servers: Server[] }> {
  return new Promise((resolve, reject) => client.ListServers({}, (err: ServiceError | null, v) => (err || !v ? reject(err) : resolve(v))));
}

function enroll(client: ControllerServiceClient, request: Record<string, string>): Promise<EnrollResponse> {
  return new Promise((resolve, reject) =>
    client.Enroll(request, new Metadata(), (err: ServiceError | null, v?: EnrollResponse) => (err || !v ? reject(err) : resolve(v))),
  );
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('the call succeeded');
    },
    (err: ServiceError) => err,
  );
}

describe('every call carries its wofleet version', () => {
  it('serves a CLI of its own line and of the line before, and one that sends no version (taken for 0.1.0)', async () => {
    for (const version of [WOFLEET_VERSION, '0.1.4', 'none'])
      expect((await listServers(clientOf(version, alice))).servers).toBeInstanceOf(Array);
  });

  it('refuses a CLI of a newer line with FAILED_PRECONDITION naming both versions and the policy', async () => {
    const err = await refusal(listServers(clientOf('0.3.0', alice)));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toBe(
      `controller ${WOFLEET_VERSION} refuses wofleet 0.3.0: a controller serves CLIs of its release line 0.2.x and the one before, 0.1.x; upgrade the controller first (docs/COMPATIBILITY.md)`,
    );
  });

  it('refuses a CLI two lines behind, telling it to upgrade itself', async () => {
    const err = await refusal(listServers(clientOf('0.0.9', alice)));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toContain('refuses wofleet 0.0.9');
    expect(err.details).toContain('upgrade this CLI to 0.2.x');
  });

  it('judges an Enroll by its header before the token is looked at', async () => {
    const csr = await createCsr({ role: 'agent', name: 'nobody' });
    const err = await refusal(enroll(clientOf('1.0.0'), { token: 'x'.repeat(43), serverName: 'nobody', csrPem: csr.csrPem }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toContain('refuses wofleet-agent 1.0.0');
  });
});

describe('Enroll judges and records the agent version', () => {
  it('refuses an agent of another line without using the token, then enrolls it at a served version and records that', async () => {
    const token = await fleet.addServer('web-v');
    const csr = await createCsr({ role: 'agent', name: 'web-v' });
    const err = await refusal(enroll(clientOf(WOFLEET_VERSION), { token, serverName: 'web-v', csrPem: csr.csrPem, agentVersion: '0.3.2' }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toBe(
      `controller ${WOFLEET_VERSION} refuses wofleet-agent 0.3.2: a controller serves agents of its release line 0.2.x and the one before, 0.1.x; upgrade the controller first (docs/COMPATIBILITY.md)`,
    );
    expect((await findServerByName(fleet.db, 'web-v'))?.enrolledAt).toBeNull();

    const answer = await enroll(clientOf(WOFLEET_VERSION), { token, serverName: 'web-v', csrPem: csr.csrPem, agentVersion: '0.2.1' });
    expect(peerIdentity(answer.certificatePem)).toEqual({ role: 'agent', name: 'web-v' });
    expect((await findServerByName(fleet.db, 'web-v'))?.agentVersion).toBe('0.2.1');
  });

  it('`wofleet-agent enroll` sends its version: servers list shows it, as text and as JSON', async () => {
    const token = await fleet.addServer('web-cli');
    const agent = await createTestAgent(fleet.root, 'web-cli');
    const enrolled = await agent.enroll(await agent.enrollArgs(fleet.address, token, fleet.caFingerprint));
    expect(enrolled.code, enrolled.stderr).toBe(0);

    const listed = await fleet.wofleetJson<Server[]>(['servers', 'list']);
    expect(listed.find((s) => s.name === 'web-cli')?.agentVersion).toBe(WOFLEET_VERSION);
    const human = await fleet.wofleet(['servers', 'list']);
    const [header = '', ...rows] = human.stdout.split('\n');
    expect(header).toMatch(/STATE +VERSION +CANARY/);
    expect(rows.find((l) => l.startsWith('web-cli '))).toMatch(new RegExp(` ${WOFLEET_VERSION.replaceAll('.', '\\.')} `));
  });
});
