import { describe, expect, it } from 'vitest';
import { createInventoryReader } from '../src/campaigns/inventory-reader.js';
import type { FleetServer } from '../src/campaigns/repository.js';
import { createFakeClock } from './fake-clock.js';
import { T0 } from './db.fixtures.js';

const server = (name: string, address = `${name}:7443`): FleetServer => ({
  name,
  address,
  canary: false,
  enrolled: true,
  status: 'online',
  labels: {},
  agentVersion: '0.2.0',
});

/** A repository whose digest the test sets, counting the full reads. */
function fleet(initial: FleetServer[]) {
  let servers = initial;
  let digest = 'd1';
  const reads = { digests: 0, servers: 0 };
  return {
    reads,
    change(next: FleetServer[], nextDigest: string) {
      servers = next;
      digest = nextDigest;
    },
    repository: {
      serversDigest: async () => {
        reads.digests++;
        return digest;
      },
      listServers: async () => {
        reads.servers++;
        return servers;
      },
    },
  };
}

describe('the inventory reader', () => {
  it('reads every server once, then only the digest each poll while it stays, and again once it moves', async () => {
    const clock = createFakeClock(T0);
    const f = fleet([server('web-1'), server('web-2')]);
    const reader = createInventoryReader(f.repository, clock, 1000);
    const first = await reader.recent();
    expect([...first.keys()]).toEqual(['web-1', 'web-2']);
    expect(f.reads).toEqual({ digests: 1, servers: 1 });

    // Asks within a poll share the read; a new poll asks for the digest only.
    expect(await reader.recent()).toBe(first);
    await clock.advance(1000);
    expect(await reader.recent()).toBe(first);
    expect(f.reads).toEqual({ digests: 2, servers: 1 });

    f.change([server('web-1', '10.0.0.9:7443')], 'd2');
    await clock.advance(1000);
    const moved = await reader.recent();
    expect([...moved.values()].map((s) => s.address)).toEqual(['10.0.0.9:7443']);
    expect(f.reads).toEqual({ digests: 3, servers: 2 });
  });

  it('a failed read is not kept: the next ask reads the servers again', async () => {
    const clock = createFakeClock(T0);
    const f = fleet([server('web-1')]);
    let down = true;
    const reader = createInventoryReader(
      {
        ...f.repository,
        listServers: async () => {
          if (down) throw new Error('database away');
          return f.repository.listServers();
        },
      },
      clock,
      1000,
    );
    await expect(reader.recent()).rejects.toThrow('database away');
    down = false;
    expect([...(await reader.recent()).keys()]).toEqual(['web-1']);
  });
});
