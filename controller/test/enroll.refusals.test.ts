import { randomBytes } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findServerByName, listAuditEvents } from '../src/db/index.js';
import { createTestAgent, createTestFleet, type TestAgent, type TestFleet } from './cli.fixtures.js';

/**
 * Every refused enrollment prints one clear line, exits non-zero, and writes nothing
 * on either side: no files on the agent, no enrollment mark or audit event on the
 * controller, and (unless it was the token that was bad) the token stays usable.
 */
let fleet: TestFleet;
beforeAll(async () => {
  fleet = await createTestFleet();
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

function enrollArgs(agent: TestAgent, token: string, fingerprint = fleet.caFingerprint): Promise<string[]> {
  return agent.enrollArgs(fleet.address, token, fingerprint);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Nothing on the agent, the server still pending, only its server-added event. */
async function expectNothingWritten(agent: TestAgent, server: string): Promise<void> {
  for (const file of Object.values(agent.files)) expect(await exists(file)).toBe(false);
  const row = await findServerByName(fleet.db, server);
  expect(row?.enrolledAt).toBeNull();
  expect(row?.certFingerprint).toBeNull();
  expect((await listAuditEvents(fleet.db, { server, limit: 10 })).map((e) => e.kind)).toEqual(['server-added']);
}

describe('refused enrollments', () => {
  it('a token used once is refused the second time: "enrollment token already used"', async () => {
    const token = await fleet.addServer('reused');
    const first = await createTestAgent(fleet.root, 'reused');
    expect((await first.enroll(await enrollArgs(first, token))).code).toBe(0);
    const second = await createTestAgent(fleet.root, 'reused');

    const r = await second.enroll(await enrollArgs(second, token));

    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('enrollment token already used');
    for (const file of Object.values(second.files)) expect(await exists(file)).toBe(false);
    expect((await listAuditEvents(fleet.db, { server: 'reused', limit: 10 })).map((e) => e.kind)).toEqual([
      'server-enrolled',
      'server-added',
    ]);
  });

  it('a token past its expiry is refused: "enrollment token expired"', async () => {
    const token = await fleet.addServer('expired', { tokenTtlMs: 10 * 60 * 1000 });
    const agent = await createTestAgent(fleet.root, 'expired');
    fleet.clock.advance(10 * 60 * 1000 + 1);

    const r = await agent.enroll(await enrollArgs(agent, token));

    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      "wofleet-agent: error: enrollment refused: enrollment token expired: ask for a new one ('wofleet servers token NAME')",
    );
    await expectNothingWritten(agent, 'expired');
  });

  it('a forged token is refused: "enrollment token not recognised"', async () => {
    await fleet.addServer('forged');
    const agent = await createTestAgent(fleet.root, 'forged');

    const r = await agent.enroll(await enrollArgs(agent, randomBytes(32).toString('base64url')));

    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'wofleet-agent: error: enrollment refused: enrollment token not recognised (mistyped, forged, or issued by another controller)',
    );
    await expectNothingWritten(agent, 'forged');
  });

  it('a token issued for another server is refused and stays usable by the right one', async () => {
    const token = await fleet.addServer('right');
    const wrong = await createTestAgent(fleet.root, 'wrong');

    const r = await wrong.enroll(await enrollArgs(wrong, token));

    expect(r.code).toBe(1);
    expect(r.stderr).toContain("enrollment token was issued for server 'right', not 'wrong'");
    await expectNothingWritten(wrong, 'right');
    const right = await createTestAgent(fleet.root, 'right');
    expect((await right.enroll(await enrollArgs(right, token))).code).toBe(0);
  });

  it('a controller whose CA does not match the pinned fingerprint never sees the token', async () => {
    const token = await fleet.addServer('pinned');
    const agent = await createTestAgent(fleet.root, 'pinned');
    const otherCa = randomBytes(32).toString('hex');

    const r = await agent.enroll(await enrollArgs(agent, token, otherCa));

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `does not present a CA with fingerprint ${otherCa.slice(0, 16)}...: wrong --ca-fingerprint, or not your controller`,
    );
    await expectNothingWritten(agent, 'pinned');
    expect((await agent.enroll(await enrollArgs(agent, token))).code).toBe(0);
  });

  it.each([
    ['a malformed token', { token: 'not-a-token' }, "invalid --token 'not-a-token'"],
    ['a token file holding nothing', { token: '\n' }, 'holds no token'],
    ['a missing token file', { args: ['--token-file', '/nonexistent/token'] }, '--token-file /nonexistent/token: no such file'],
    ['a token file larger than a token', { token: 'x'.repeat(5000) }, 'larger than 4096 bytes, not a token'],
    ['nothing on stdin for --token-file -', { args: ['--token-file', '-'] }, '--token-file -: no token on stdin'],
    ['a malformed CA fingerprint', { args: ['--ca-fingerprint', 'AB:CD'] }, "invalid --ca-fingerprint 'AB:CD'"],
    ['a controller address without port', { args: ['--controller', '127.0.0.1'] }, "invalid --controller '127.0.0.1'"],
  ])('%s is a usage error (exit 2)', async (_what, override: { token?: string; args?: string[] }, message) => {
    const agent = await createTestAgent(fleet.root, 'usage');
    const args = await enrollArgs(agent, override.token ?? randomBytes(32).toString('base64url'));
    if (override.args) args[args.indexOf(override.args[0] as string) + 1] = override.args[1] as string;

    const r = await agent.enroll(args);

    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    for (const file of Object.values(agent.files)) expect(await exists(file)).toBe(false);
  });

  it('an agent config without grpc file paths is a usage error naming the keys', async () => {
    const agent = await createTestAgent(fleet.root, 'nofiles');
    await writeFile(agent.configFile, JSON.stringify({ serverId: 'nofiles' }));

    const r = await agent.enroll(await enrollArgs(agent, randomBytes(32).toString('base64url')));

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('set all three in the agent config');
  });

  it('an unreachable controller is one clear line, exit 1', async () => {
    const agent = await createTestAgent(fleet.root, 'nobody');

    const r = await agent.enroll(await agent.enrollArgs('127.0.0.1:1', randomBytes(32).toString('base64url'), fleet.caFingerprint));

    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('wofleet-agent: error: cannot reach the controller at 127.0.0.1:1: ECONNREFUSED');
  });
});
