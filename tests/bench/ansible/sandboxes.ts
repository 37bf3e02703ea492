import { mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { agentGrpcConfig, expectOk } from '../../support/fleet.js';
import { runAgent, writeAgentConfig, type AgentHost } from '../../support/agent.js';
import { writeArchive, minimalWordPress, type BuiltArchive } from '../../support/archives.js';
import { findFreePort } from '../../support/net.js';
import type { Stack } from '../../support/stack.js';

/**
 * The hosts both orchestrators roll out to: each a temp dir with its own agent config,
 * shared core, releases and state, on WordPress 6.4.5 with no sites. The releases are the
 * smallest trees core verification accepts (support/archives.ts), so the agents' own work
 * (stage, switch, health) is small next to what orchestrating it costs. The switch resets
 * opcache through PHP-FPM and health asks PHP-FPM and `nginx -t`: every sandbox points at
 * the one private stack (support/stack.ts), its shared core under the stack's sites root. The gRPC and NATS settings are written for every
 * sandbox, so the same config serves `wofleet-agent serve`; the CLI ignores them.
 */
export interface Sandbox {
  name: string;
  host: AgentHost;
  config: string;
  /** host:port its daemon listens on, when served. */
  address: string;
  /** The nginx configuration `nginx -t` checks, when the host is breakable. */
  nginxConf: string;
}

export interface ReleaseArchives {
  mirrorDir: string;
  from: BuiltArchive;
  to: BuiltArchive;
}

export const FROM_VERSION = '6.4.5';
export const TO_VERSION = '6.5.5';
const TO_DB_VERSION = 57155;

/** The two minimal releases, written into `mirrorDir` with their .sha256 beside them. */
export async function writeReleases(mirrorDir: string): Promise<ReleaseArchives> {
  await mkdir(mirrorDir, { recursive: true, mode: 0o755 });
  const from = await writeArchive(mirrorDir, `wordpress-${FROM_VERSION}.tar.gz`, minimalWordPress({ version: FROM_VERSION }), {
    digest: 'sha256',
  });
  const to = await writeArchive(
    mirrorDir,
    `wordpress-${TO_VERSION}.tar.gz`,
    minimalWordPress({ version: TO_VERSION, dbVersion: TO_DB_VERSION }),
    { digest: 'sha256' },
  );
  return { mirrorDir, from, to };
}

export const TO_RELEASE_DB_VERSION = TO_DB_VERSION;

export const hostName = (i: number) => `host-${String(i + 1).padStart(3, '0')}`;

/** Runs `work` over `items`, `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** `count` sandboxes under `dir`, each initialised on 6.4.5 (`wofleet-agent init`). */
export async function buildSandboxes(options: {
  dir: string;
  count: number;
  stack: Stack;
  releases: ReleaseArchives;
  natsUrls: readonly string[];
  heartbeatSeconds: number;
  /** Hosts given an nginx configuration of their own, which breakNginx() can break. */
  breakable?: ReadonlySet<string>;
}): Promise<Sandbox[]> {
  const sandboxes: Sandbox[] = [];
  for (let i = 0; i < options.count; i++) {
    const name = hostName(i);
    const root = path.join(options.dir, name);
    await mkdir(root, { recursive: true, mode: 0o755 });
    const tls = path.join(root, 'tls');
    const host: AgentHost = {
      root,
      agentConfig: {
        ...options.stack.agentConfig,
        // Under the stack's sites root: PHP-FPM's open_basedir allows only that, and the switch resets opcache through it.
        sharedRoot: path.join(options.stack.sitesRoot, `${path.basename(options.dir)}-${name}`),
        stateDir: path.join(root, 'state'),
      },
      env: options.stack.env,
    };
    const address = `127.0.0.1:${await findFreePort()}`;
    // Beside the stack's: nginx resolves relative includes against the configuration's directory.
    const nginxConf = path.join(path.dirname(options.stack.nginxConf), `${path.basename(options.dir)}-${name}.conf`);
    if (options.breakable?.has(name)) await writeFile(nginxConf, `include ${options.stack.nginxConf};\n`);
    const config = await writeAgentConfig(host, {
      serverId: name,
      grpc: agentGrpcConfig(address, tls),
      nats: { servers: [...options.natsUrls], heartbeatSeconds: options.heartbeatSeconds },
      releases: { mirrorDir: options.releases.mirrorDir },
      ...(options.breakable?.has(name) ? { nginx: { ...options.stack.agentConfig.nginx, testArgs: ['-c', nginxConf] } } : {}),
    });
    sandboxes.push({ name, host, config, address, nginxConf });
  }
  await pool(sandboxes, 4, async (s) => {
    await expectOk(
      `wofleet-agent init (${s.name})`,
      runAgent(s.host, ['init', '--release', options.releases.from.file, '--sha256', options.releases.from.sha256]),
    );
  });
  return sandboxes;
}

/** The WordPress version the sandbox's `current` link points at. */
export async function currentVersion(sandbox: Sandbox): Promise<string | undefined> {
  const target = await readlink(path.join(sandbox.host.agentConfig.sharedRoot as string, 'current')).catch(() => '');
  return /wp-(\d+\.\d+\.\d+)-/.exec(target)?.[1];
}

/** How many switches the agent recorded (its state.json `updates`, one per activation), to `version`. */
export async function switchesTo(sandbox: Sandbox, version: string): Promise<number> {
  const file = path.join(sandbox.host.agentConfig.stateDir as string, 'state.json');
  const state = JSON.parse(await readFile(file, 'utf8')) as { updates?: Array<{ to: string }> };
  return (state.updates ?? []).filter((u) => u.to.includes(`-${version}-`) || u.to === version).length;
}

/** A typo in the host's nginx configuration: from now on its `nginx -t`, so its health check, fails. */
export async function breakNginx(sandbox: Sandbox): Promise<void> {
  await writeFile(sandbox.nginxConf, 'events {}\nhttp { this is not a directive; }\n');
}
