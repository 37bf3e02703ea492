import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadControllerService, type AgentPackage, type AgentPackageChunk } from '@wofleet/proto';
import { issueCertificate, WOFLEET_VERSION, type FleetCa } from '@wofleet/shared';
import { eq } from 'drizzle-orm';
import { markServerEnrolled, recordHeartbeat, tables } from '../src/db/index.js';
import { readFleetCa } from '../src/ca/files.js';
import type { CampaignPlan } from '../src/campaigns/index.js';
import { channelOptions } from '../src/grpc/channel-options.js';
import { buildTestDeb } from '../../tests/support/agent-debs.js';
import { createTestFleet, rawClientCredentials, readOperatorIdentity, type Identity, type TestFleet } from './cli.fixtures.js';

/**
 * `wofleet agents packages add | list` and FetchAgentPackage: the controller keeps
 * wofleet-agent packages in its database (version read by dpkg-deb, SHA-256 its own)
 * and streams them back, byte for byte, to agents only.
 */
let fleet: TestFleet;
let ca: FleetCa;
let debs: string;
beforeAll(async () => {
  fleet = await createTestFleet();
  ca = await readFleetCa(fleet.dataDir);
  debs = await mkdtemp(path.join(fleet.root, 'debs-'));
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

function fetchPackage(identity: Identity, version: string): Promise<Buffer> {
  const { Client } = loadControllerService();
  const client = new Client(fleet.address, rawClientCredentials(ca.certPem, identity), channelOptions(fleet.address));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const stream = client.FetchAgentPackage({ version });
    stream.on('data', (chunk: AgentPackageChunk) => parts.push(chunk.data));
    stream.on('end', () => {
      client.close();
      resolve(Buffer.concat(parts));
    });
    stream.on('error', (err: ServiceError) => {
      client.close();
      reject(err);
    });
  });
}

describe('agent packages on the controller', () => {
  it('adds a wofleet-agent .deb with its version and SHA-256, lists it, and gives an agent its bytes back', async () => {
    const deb = await buildTestDeb(debs, '0.3.0');
    const added = await fleet.wofleetJson<AgentPackage>(['agents', 'packages', 'add', deb.file]);
    expect(added).toMatchObject({ version: '0.3.0', sha256: deb.sha256, architecture: 'all', sizeBytes: deb.bytes.length });

    const listed = await fleet.wofleetJson<AgentPackage[]>(['agents', 'packages', 'list']);
    expect(listed.map((p) => p.version)).toContain('0.3.0');
    const human = await fleet.wofleet(['agents', 'packages', 'list']);
    expect(human.stdout).toMatch(new RegExp(`^0\\.3\\.0 +all +.* ${deb.sha256} `, 'm'));

    const agent = await issueCertificate({ ca, role: 'agent', name: 'web-1', validDays: 1 });
    expect((await fetchPackage(agent, '0.3.0')).equals(deb.bytes)).toBe(true);
  });

  it('takes and gives back a package of several upload and storage chunks, byte for byte', async () => {
    await buildTestDeb(debs, '0.3.1');
    // Random bytes do not compress: the .deb is over 3 MiB (six 512 KiB uploads, four 1 MiB rows).
    await writeFile(path.join(debs, 'pkg-wofleet-agent-0.3.1/usr/share/wofleet-test/blob'), randomBytes(3 * 1024 * 1024));
    const big = await buildTestDeb(debs, '0.3.1');
    expect(big.bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    await fleet.wofleetJson<AgentPackage>(['agents', 'packages', 'add', big.file]);
    const agent = await issueCertificate({ ca, role: 'agent', name: 'web-2', validDays: 1 });
    expect((await fetchPackage(agent, '0.3.1')).equals(big.bytes)).toBe(true);
  });

  it('refuses a package that is not wofleet-agent, in one line (exit 2)', async () => {
    const other = await buildTestDeb(debs, '1.0.0', 'nginx-extras');
    const r = await fleet.wofleet(['agents', 'packages', 'add', other.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('wofleet: error: the package is nginx-extras, not wofleet-agent: only agent packages are rolled out\n');
  });

  it('refuses other bytes under a version it already holds (exit 1)', async () => {
    const dir = await mkdtemp(path.join(fleet.root, 'other-'));
    await buildTestDeb(dir, '0.3.0');
    await writeFile(path.join(dir, 'pkg-wofleet-agent-0.3.0/usr/share/wofleet-test/extra'), 'different');
    const different = await buildTestDeb(dir, '0.3.0');
    const r = await fleet.wofleet(['agents', 'packages', 'add', different.file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('wofleet-agent 0.3.0 is already held with sha256');
  });

  it('agents upgrade refuses a version it does not hold, and one this controller would not serve (exit 2)', async () => {
    const unknown = await fleet.wofleet(['agents', 'upgrade', '--to', '0.2.9']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("wofleet: error: the controller holds no wofleet-agent 0.2.9 ('wofleet agents packages add')\n");
    const newer = await fleet.wofleet(['agents', 'upgrade', '--to', '0.3.0']);
    expect(newer.code).toBe(2);
    expect(newer.stderr).toBe(
      `wofleet: error: cannot upgrade agents to 0.3.0: controller ${WOFLEET_VERSION} refuses wofleet-agent 0.3.0: a controller serves agents of its release line 0.2.x and the one before, 0.1.x; upgrade the controller first (docs/COMPATIBILITY.md)\n`,
    );
  });

  it('agents upgrade starts a campaign once the package every target goes back to is held', async () => {
    await fleet.addServer('up-1');
    await markServerEnrolled(fleet.db, 'up-1', 'f'.repeat(64), new Date(), null, '0.2.0');
    await recordHeartbeat(fleet.db, 'up-1', { agentVersion: '0.2.0' }, new Date());
    await fleet.wofleetJson<AgentPackage>(['agents', 'packages', 'add', (await buildTestDeb(debs, '0.2.7')).file]);

    const refused = await fleet.wofleet(['agents', 'upgrade', '--to', '0.2.7', '--servers', 'up-1', '--waves', '1']);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('cannot upgrade up-1: its rollback package (wofleet-agent 0.2.0) is not held by the controller');

    await fleet.wofleetJson<AgentPackage>(['agents', 'packages', 'add', (await buildTestDeb(debs, '0.2.0')).file]);
    const started = await fleet.wofleetJson<{ id: string; plan: { release: { version: string }; canary: string } }>([
      'agents',
      'upgrade',
      '--to',
      '0.2.7',
      '--servers',
      'up-1',
      '--waves',
      '1',
    ]);
    expect(started.plan).toMatchObject({ release: { version: 'wofleet-agent 0.2.7' }, canary: 'up-1' });
    const status = await fleet.wofleetJson<{ plan: { release: { version: string } }; targets: { server: string }[] }>([
      'rollout',
      'status',
      started.id,
    ]);
    expect(status.plan.release.version).toBe('wofleet-agent 0.2.7');
    expect(status.targets.map((t) => t.server)).toEqual(['up-1']);
    // The stored plan names the package and the one up-1 goes back to.
    const [row] = await fleet.db.select({ plan: tables.campaigns.plan }).from(tables.campaigns).where(eq(tables.campaigns.id, started.id));
    const held = await fleet.wofleetJson<AgentPackage[]>(['agents', 'packages', 'list']);
    const sha = (v: string) => held.find((p) => p.version === v)?.sha256;
    expect((row?.plan as CampaignPlan | undefined)?.agentPackage).toEqual({
      version: '0.2.7',
      sha256: sha('0.2.7'),
      rollback: { '0.2.0': sha('0.2.0') },
    });
  });

  it('serves packages to agents only, and says which version it does not hold', async () => {
    const operator = await readOperatorIdentity(fleet);
    const byOperator = await fetchPackage(operator, '0.3.0').catch((e: ServiceError) => e);
    expect((byOperator as ServiceError).code).toBe(status.PERMISSION_DENIED);
    const agent = await issueCertificate({ ca, role: 'agent', name: 'web-1', validDays: 1 });
    const unknown = await fetchPackage(agent, '9.9.9').catch((e: ServiceError) => e);
    expect((unknown as ServiceError).code).toBe(status.FAILED_PRECONDITION);
    expect((unknown as ServiceError).details).toBe("the controller holds no wofleet-agent 9.9.9 ('wofleet agents packages add')");
  });
});
