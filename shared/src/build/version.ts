/**
 * wofleet's own version, one for the agent and the controller. `pnpm package` replaces
 * WOFLEET_BUILD_VERSION at bundle time (esbuild `define`) so that a package built with
 * `--version` reports that version; a workspace build reports the literal below.
 */
declare const WOFLEET_BUILD_VERSION: string | undefined;

export const WOFLEET_VERSION: string = typeof WOFLEET_BUILD_VERSION === 'string' ? WOFLEET_BUILD_VERSION : '0.2.0';
