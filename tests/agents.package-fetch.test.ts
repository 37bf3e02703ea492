import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerPackageSource } from '../agent/src/packages/controller-source.js';
import { stagePackage } from '../agent/src/packages/store.js';
import { createTestAgent, createTestFleet, type TestAgent, type TestFleet } from '../controller/test/cli.fixtures.js';
import { buildTestDeb } from './support/agent-debs.js';

/**
 * The package an agent installs comes from the controller it enrolled with: a real
 * controller holding a wofleet-agent .deb, a real `wofleet-agent enroll`, then the
 * agent's own source (its certificate, the controller address from its enrollment
 * record) fetching and checking it as StagePackage does.
 */
let fleet: TestFleet;
let agent: TestAgent;
beforeAll(async () => {
  fleet = await createTestFleet();
  const token = await fleet.addServer('web-pkg');
  agent = await createTestAgent(fleet.root, 'web-pkg');
  const enrolled = await agent.enroll(await agent.enrollArgs(fleet.address, token, fleet.caFingerprint));
  if (enrolled.code !== 0) throw new Error(`enroll failed: ${enrolled.stderr}`);
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

describe('an agent fetches a package from its controller', () => {
  it('keeps the bytes the controller holds, checked against its SHA-256', async () => {
    const dir = await mkdtemp(path.join(fleet.root, 'debs-'));
    const deb = await buildTestDeb(dir, '0.2.4');
    expect((await fleet.wofleet(['agents', 'packages', 'add', deb.file])).code).toBe(0);
    const stateDir = path.join(path.dirname(agent.configFile), 'state');
    const source = controllerPackageSource({ files: agent.files, stateDir, controllerAddress: undefined, isRevoked: () => false });

    const file = await stagePackage(stateDir, '0.2.4', deb.sha256, source);

    expect((await readFile(file)).equals(deb.bytes)).toBe(true);
    await expect(stagePackage(stateDir, '0.2.5', deb.sha256, source)).rejects.toThrow(
      "refused: the controller holds no wofleet-agent 0.2.5 ('wofleet agents packages add')",
    );
  });
});
