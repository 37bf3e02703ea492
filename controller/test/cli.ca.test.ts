import { X509Certificate } from 'node:crypto';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsMaterial, peerIdentity } from '@wofleet/shared';
import { CONTROLLER_CLI, runCli } from './cli.fixtures.js';

/** `wofleet ca init` and `wofleet ca issue-operator` through the built CLI, on temp data dirs. */
let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-ca-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const wofleet = (args: string[], env: Record<string, string> = {}) => runCli(CONTROLLER_CLI, args, env);

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

describe('wofleet ca init', () => {
  it('does not read the serve-only settings: a malformed WOFLEET_NATS_URL or WOFLEET_HEARTBEAT_SECONDS does not stop it', async () => {
    const dataDir = path.join(root, 'nats-env');
    const r = await wofleet(['ca', 'init', '--data-dir', dataDir, '--name', 'ctl-3'], {
      WOFLEET_NATS_URL: 'not a url',
      WOFLEET_HEARTBEAT_SECONDS: 'soon',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await exists(path.join(dataDir, 'ca.pem'))).toBe(true);
  });

  it('creates the CA and a controller certificate in the data dir, keys 0600, and prints their fingerprints', async () => {
    const dataDir = path.join(root, 'a');
    const r = await wofleet(['ca', 'init', '--data-dir', dataDir, '--name', 'ctl-2', '--dns', 'ctl.example.com', '--ip', '10.0.0.5']);

    expect(r.code).toBe(0);
    const caPem = await readFile(path.join(dataDir, 'ca.pem'), 'utf8');
    expect(r.stdout).toContain(`CA fingerprint:          SHA256 ${new X509Certificate(caPem).fingerprint256}`);
    for (const key of ['ca.key', 'controller.key']) expect((await stat(path.join(dataDir, key))).mode & 0o777).toBe(0o600);
    const controller = await loadTlsMaterial({
      caFile: path.join(dataDir, 'ca.pem'),
      certFile: path.join(dataDir, 'controller.pem'),
      keyFile: path.join(dataDir, 'controller.key'),
    });
    expect(controller.identity).toMatchObject({ role: 'controller', name: 'ctl-2' });
    expect(new X509Certificate(controller.certPem).subjectAltName).toContain('DNS:ctl.example.com');
    expect(r.stdout).toContain(`SHA256 ${controller.identity.fingerprint}`);
  });

  it('refuses to replace an existing CA without --force (exit 1), and replaces it with --force', async () => {
    const dataDir = path.join(root, 'b');
    expect((await wofleet(['ca', 'init', '--data-dir', dataDir])).code).toBe(0);
    const first = await readFile(path.join(dataDir, 'ca.pem'), 'utf8');

    const refused = await wofleet(['ca', 'init', '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `wofleet: error: a fleet CA already exists in ${dataDir}: refusing to replace it (agents enrolled with it would be locked out); pass --force to replace it`,
    );
    expect(await readFile(path.join(dataDir, 'ca.pem'), 'utf8')).toBe(first);

    const forced = await wofleet(['ca', 'init', '--data-dir', dataDir, '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ replaced: true });
    expect(await readFile(path.join(dataDir, 'ca.pem'), 'utf8')).not.toBe(first);
  });

  it.each([
    [['--name', 'Ctl_1'], "invalid fleet name 'Ctl_1'"],
    [['--ip', '10.0.0.300'], "invalid IP address '10.0.0.300'"],
    [['--dns', 'bad_name'], "invalid DNS name 'bad_name'"],
  ])('refuses %j (exit 2) and writes nothing', async (flags, message) => {
    const dataDir = path.join(root, `bad-${flags[1]}`);
    const r = await wofleet(['ca', 'init', '--data-dir', dataDir, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `wofleet: error: ${message}${flags[0] === '--name' ? ': must be 1-63 lower-case letters, digits or hyphens' : ''}`,
    );
    expect(await exists(dataDir)).toBe(false);
  });
});

describe('wofleet ca issue-operator', () => {
  it('writes an operator certificate of the fleet CA, the CA certificate and a 0600 key', async () => {
    const dataDir = path.join(root, 'c');
    expect((await wofleet(['ca', 'init', '--data-dir', dataDir])).code).toBe(0);
    const out = path.join(root, 'c-bob');

    const r = await wofleet(['ca', 'issue-operator', '--data-dir', dataDir, '--name', 'bob', '--out', out]);

    expect(r.code).toBe(0);
    const material = await loadTlsMaterial({
      caFile: path.join(out, 'ca.pem'),
      certFile: path.join(out, 'bob.pem'),
      keyFile: path.join(out, 'bob.key'),
    });
    expect(peerIdentity(material.certPem)).toEqual({ role: 'operator', name: 'bob' });
    expect((await stat(path.join(out, 'bob.key'))).mode & 0o777).toBe(0o600);

    const again = await wofleet(['ca', 'issue-operator', '--data-dir', dataDir, '--name', 'bob', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('bob.pem already exists: refusing to overwrite it; pass --force to replace it');
  });

  it('says to run ca init first when the data dir has no CA (exit 1)', async () => {
    const dataDir = path.join(root, 'empty');
    const r = await wofleet(['ca', 'issue-operator', '--data-dir', dataDir, '--name', 'bob', '--out', path.join(root, 'x')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`wofleet: error: no fleet CA in ${dataDir} (ca.pem is missing): run 'wofleet ca init' first`);
  });
});
