import { fileURLToPath } from 'node:url';

/**
 * Set to true by `pnpm package` (esbuild `define`): the program runs as a bundle whose
 * shipped files sit in `assets/` beside it; a workspace build leaves it undefined.
 */
declare const WOFLEET_BUNDLED: boolean | undefined;

/**
 * A directory of files shipped with the program (migrations, .proto files, the WordOps
 * plugin). In the workspace it is `workspacePath` relative to the calling module; in a
 * package it is `assets/<name>/` beside the bundle, which is where the calling module's
 * code then lives. Callers pass their own `import.meta.url`.
 */
export function shippedDir(moduleUrl: string, workspacePath: string, name: string): string {
  const bundled = typeof WOFLEET_BUNDLED === 'boolean' && WOFLEET_BUNDLED;
  return fileURLToPath(new URL(bundled ? `./assets/${name}/` : workspacePath, moduleUrl));
}
