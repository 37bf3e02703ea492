import { execa } from 'execa';
import { addLinkWithFreeIndex, type RealWoServer } from './realwo.js';

/**
 * A LAN between real-WordOps servers, as between machines in one data centre: a bridge
 * on the host (no address: the host stays off it, and forwards nothing) and in each
 * server a second interface `lan0` on 10.232.N.0/24, the i-th server at 10.232.N.(i+2).
 * Each server keeps its own veth to the host (RealWoServer.address).
 */
export interface RealWoLan {
  /** The server's address on the LAN. */
  address(server: RealWoServer): string;
  /** Removes the bridge and the servers' LAN links (a stopped server's went with it). */
  destroy(): Promise<void>;
}

async function ip(args: readonly string[], server?: RealWoServer): Promise<void> {
  const r = server ? await server.exec(['ip', ...args]) : await execa('ip', args, { reject: false });
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')}${server ? ` in ${server.name}` : ''}: ${r.stderr}`);
}

export async function connectRealWoLan(servers: readonly RealWoServer[]): Promise<RealWoLan> {
  const n = await addLinkWithFreeIndex('wfbr', () => ['type', 'bridge']);
  const bridge = `wfbr${n}`;
  const addresses = new Map<string, string>();
  const hostEnds: string[] = [];
  const destroy = async () => {
    for (const link of [...hostEnds, bridge]) await execa('ip', ['link', 'del', link], { reject: false });
  };
  try {
    await ip(['link', 'set', bridge, 'up']);
    for (const [i, server] of servers.entries()) {
      const hostEnd = `wfl${n}x${i}`;
      const peer = `wfp${n}x${i}`;
      await ip(['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peer]);
      hostEnds.push(hostEnd);
      await ip(['link', 'set', hostEnd, 'master', bridge, 'up']);
      await ip(['link', 'set', peer, 'netns', String(server.pid)]);
      await ip(['link', 'set', peer, 'name', 'lan0'], server);
      const address = `10.232.${n}.${i + 2}`;
      await ip(['addr', 'add', `${address}/24`, 'dev', 'lan0'], server);
      await ip(['link', 'set', 'lan0', 'up'], server);
      addresses.set(server.name, address);
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    address(server) {
      const address = addresses.get(server.name);
      if (!address) throw new Error(`${server.name} is not on this LAN`);
      return address;
    },
    destroy,
  };
}
