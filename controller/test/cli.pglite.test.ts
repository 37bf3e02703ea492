import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../tests/support/fleet.js';

/**
 * Smoke test of the operator flows on embedded PGlite (DATABASE_URL unset): the built
 * `wofleet controller serve` keeps its database in <data-dir>/pglite, one real agent
 * enrolls and heartbeats, and the CLI answers from it. The same flows on Postgres are
 * covered in depth by cli.commands.test.ts and tests/controller.fleet.test.ts.
 */
interface WireServer {
  name: string;
  state: string;
  current: { version: string } | null;
}

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ agents: ['web-1'], heartbeatSeconds: 1 });
}, 120_000);
afterAll(async () => {
  await fleet?.destroy();
}, 60_000);

describe('the controller on embedded PGlite', () => {
  it('says which database it serves from', () => {
    expect(fleet.controller.output()).toMatch(/"database":"pglite"/);
  });

  it('registers servers, shows the enrolled agent online with its release', async () => {
    expect((await fleet.wofleet(['servers', 'add', 'web-2', '--address', '10.0.0.2:7443', '--label', 'region=eu'])).code).toBe(0);
    let servers: WireServer[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      servers = await fleet.wofleetJson<WireServer[]>(['servers', 'list']);
      if (servers.find((s) => s.name === 'web-1')?.state === 'online') break;
    }
    expect(servers.map((s) => [s.name, s.state, s.current?.version ?? null])).toEqual([
      ['web-1', 'online', '6.4.5'],
      ['web-2', 'pending-enrollment', null],
    ]);
    expect((await fleet.wofleetJson<WireServer[]>(['servers', 'list', '--label', 'region=eu'])).map((s) => s.name)).toEqual(['web-2']);
    const shown = await fleet.wofleetJson<{ server: WireServer; status: { serverId: string } | null }>([
      'servers',
      'show',
      'web-1',
      '--live',
    ]);
    expect(shown.status?.serverId).toBe('web-1');
  });

  it('keeps the release catalog and lists sites', async () => {
    expect((await fleet.wofleet(['releases', 'add', '6.5.5', '--sha1', 'b'.repeat(40)])).code).toBe(0);
    expect((await fleet.wofleetJson<{ version: string }[]>(['releases', 'list'])).map((r) => r.version)).toEqual(['6.5.5']);
    expect(await fleet.wofleetJson<unknown[]>(['sites', 'list'])).toEqual([]);
  });

  it('keeps everything across a restart', async () => {
    expect(await fleet.controller.stop()).toBe(0);
    await fleet.controller.start();
    expect((await fleet.wofleetJson<WireServer[]>(['servers', 'list'])).map((s) => s.name)).toEqual(['web-1', 'web-2']);
    expect((await fleet.wofleetJson<{ version: string }[]>(['releases', 'list'])).map((r) => r.version)).toEqual(['6.5.5']);
  });
});
