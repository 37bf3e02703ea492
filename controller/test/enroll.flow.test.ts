import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { nkeys } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_ROLE, loadTlsMaterial, peerIdentity } from '@wofleet/shared';
import { findServerByName, listAuditEvents } from '../src/db/index.js';
import { createTestAgent, createTestFleet, type TestFleet } from './cli.fixtures.js';

/**
 * Enrollment end to end, through both built CLIs: `wofleet servers add` prints a token,
 * `wofleet-agent enroll` trades it and a CSR for a certificate of the fleet CA.
 */
interface AddedServer {
  enrollmentToken: string;
  expiresAt: string;
  caFingerprint: string;
}

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await createTestFleet({ pki: 'cli' });
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

describe('wofleet-agent enroll', () => {
  it('reads the token from stdin with --token-file -', async () => {
    const added = await fleet.wofleetJson<AddedServer>(['servers', 'add', 'web-stdin', '--address', '127.0.0.1:7443']);
    const agent = await createTestAgent(fleet.root, 'web-stdin');

    const r = await agent.enroll(
      ['--controller', fleet.address, '--ca-fingerprint', fleet.caFingerprint, '--token-file', '-'],
      `${added.enrollmentToken}\n`,
    );

    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('enrolled as agent web-stdin');
  });

  it('no longer takes the token as an argument (ps and shell history would show it)', async () => {
    const added = await fleet.wofleetJson<AddedServer>(['servers', 'add', 'web-argv', '--address', '127.0.0.1:7443']);
    const agent = await createTestAgent(fleet.root, 'web-argv');

    const r = await agent.enroll([
      '--controller',
      fleet.address,
      '--ca-fingerprint',
      fleet.caFingerprint,
      '--token',
      added.enrollmentToken,
    ]);

    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'wofleet-agent: error: --token is refused: ps and shell history would show the token; use --token-file PATH, or --token-file - and paste it',
    );
    for (const file of Object.values(agent.files)) await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('writes the fleet CA, a certificate for agent <server> and its key (0600), and the controller records the enrollment', async () => {
    const added = await fleet.wofleetJson<AddedServer>(['servers', 'add', 'web-1', '--address', '127.0.0.1:7443', '--label', 'region=eu']);
    expect(added.enrollmentToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(added.caFingerprint).toBe(fleet.caFingerprint);
    const agent = await createTestAgent(fleet.root, 'web-1');

    const r = await agent.enroll(await agent.enrollArgs(fleet.address, added.enrollmentToken, fleet.caFingerprint));

    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('enrolled as agent web-1 (spiffe://wofleet/agent/web-1)');
    const material = await loadTlsMaterial(agent.files, { expectRole: FLEET_ROLE.agent });
    expect(material.identity).toMatchObject({ role: 'agent', name: 'web-1' });
    expect(new X509Certificate(material.caPem).fingerprint256).toBe(fleet.caFingerprint);
    expect((await stat(agent.files.keyFile)).mode & 0o777).toBe(0o600);

    const row = await findServerByName(fleet.db, 'web-1');
    const certHex = new X509Certificate(material.certPem).fingerprint256.replaceAll(':', '').toLowerCase();
    expect(row?.enrolledAt).toBeInstanceOf(Date);
    expect(row?.certFingerprint).toBe(certHex);
    const events = await listAuditEvents(fleet.db, { server: 'web-1', limit: 10 });
    expect(events.map((e) => [e.kind, e.actor])).toEqual([
      ['server-enrolled', 'agent:web-1'],
      ['server-added', 'operator:alice'],
    ]);
  });

  it("makes the agent's NATS user there: its seed (0600) beside the key, only its public key reaches the controller", async () => {
    const added = await fleet.wofleetJson<AddedServer>(['servers', 'add', 'web-n', '--address', '127.0.0.1:7443']);
    const agent = await createTestAgent(fleet.root, 'web-n');

    const r = await agent.enroll([...(await agent.enrollArgs(fleet.address, added.enrollmentToken, fleet.caFingerprint)), '--json']);

    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout) as { nats: { publicKey: string; seedFile: string } };
    expect(result.nats.seedFile).toBe(path.join(path.dirname(agent.files.keyFile), 'nats.nk'));
    expect((await stat(result.nats.seedFile)).mode & 0o777).toBe(0o600);
    const seed = (await readFile(result.nats.seedFile, 'utf8')).trim();
    const publicKey = nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey();
    expect(result.nats.publicKey).toBe(publicKey);
    expect((await findServerByName(fleet.db, 'web-n'))?.natsPublicKey).toBe(publicKey);
    const [enrolled] = await listAuditEvents(fleet.db, { server: 'web-n', limit: 1 });
    expect(enrolled?.data).toMatchObject({ natsPublicKey: publicKey });
    expect(JSON.stringify(enrolled)).not.toContain(seed);
  });

  it('shows the enrolled server in servers list --json with its certificate fingerprint', async () => {
    const servers = await fleet.wofleetJson<{ name: string; enrolledAt: string; certificateFingerprint: string; state: string }[]>([
      'servers',
      'list',
    ]);
    const web1 = servers.find((s) => s.name === 'web-1');
    expect(web1?.enrolledAt).not.toBe('');
    expect(web1?.certificateFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(web1?.state).toBe('enrolled');
    expect((await fleet.wofleet(['servers', 'list'])).stdout).toMatch(/web-1\s+127\.0\.0\.1:7443\s+enrolled/);
  });

  it('accepts the CA fingerprint as plain hex too', async () => {
    const added = await fleet.wofleetJson<AddedServer>(['servers', 'add', 'web-2', '--address', 'web-2.example.com:7443']);
    const agent = await createTestAgent(fleet.root, 'web-2');
    const hex = fleet.caFingerprint.replaceAll(':', '').toLowerCase();

    const r = await agent.enroll(await agent.enrollArgs(fleet.address, added.enrollmentToken, `sha256:${hex}`));

    expect(r.code).toBe(0);
    const cert = new X509Certificate((await loadTlsMaterial(agent.files)).certPem);
    expect(peerIdentity(cert)).toEqual({ role: 'agent', name: 'web-2' });
    expect(cert.subjectAltName).toContain('DNS:web-2.example.com');
  });

  it('refuses to replace an existing certificate without --force, before contacting the controller', async () => {
    const added = await fleet.wofleetJson<AddedServer>(['servers', 'add', 'web-3', '--address', '10.0.0.3:7443']);
    const agent = await createTestAgent(fleet.root, 'web-3');
    const args = await agent.enrollArgs(fleet.address, added.enrollmentToken, fleet.caFingerprint);
    expect((await agent.enroll(args)).code).toBe(0);

    const again = await agent.enroll(args);

    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(
      `wofleet-agent: error: already enrolled: ${agent.files.certFile} exists (pass --force to enroll again)`,
    );
  });
});
