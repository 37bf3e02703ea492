import { describe, expect, it } from 'vitest';
import { WOFLEET_VERSION } from '@wofleet/shared';
import { AGENT_CLI, CONTROLLER_CLI, runCli } from './cli.fixtures.js';

/** Both built CLIs print their name and wofleet's version, and nothing else. */
describe('--version', () => {
  it.each([
    ['wofleet', CONTROLLER_CLI],
    ['wofleet-agent', AGENT_CLI],
  ])('%s --version prints its name and version and exits 0', async (name, cli) => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli(cli, [flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${name} ${WOFLEET_VERSION}\n`);
      expect(r.stderr).toBe('');
    }
  });
});
