// Flags of `wo site create|update` as WordOps 3.22 spells them.
import { WoExit } from './output.mjs';

export const CACHE_FLAGS = ['wpfc', 'wpredis', 'wpsc', 'wprocket', 'wpce'];
export const PHP_FLAGS = ['php74', 'php80', 'php81', 'php82', 'php83', 'php84', 'php85'];
const SSL_FLAGS = ['-le', '--le', '--letsencrypt'];
const VALUE_OPTIONS = ['user', 'pass', 'email'];
const SWITCHES = ['wp', 'vhostonly', 'no-prompt', 'force', ...CACHE_FLAGS, ...PHP_FLAGS];

/**
 * WordOps takes any site name (`inv@lid_domain` is created, realwo/outputs/06); the stand-in
 * only refuses names that would leave the sites root as a path.
 */
const DOMAIN = /^(?!\.\.?$)[^/\s\0]{1,253}$/;

/** argparse's complaint, exit 2 like WordOps' cement/argparse front end. */
export function usageError(message) {
  process.stderr.write(`usage: wo (sub-commands ...) [options]\nwo: error: ${message}\n`);
  return new WoExit(2, message);
}

/**
 * @param {string[]} argv  everything after `site <verb>`
 * @returns {{ domain: string | undefined, flags: Set<string>, options: Record<string, string>, ssl: boolean }}
 */
export function parseSiteArgs(argv) {
  const flags = new Set();
  const options = {};
  const positional = [];
  let ssl = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (SSL_FLAGS.includes(arg)) {
      ssl = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-')) throw usageError(`unrecognized arguments: ${arg}`);
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (VALUE_OPTIONS.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw usageError(`argument --${name}: expected one argument`);
      options[name] = value;
    } else if (SWITCHES.includes(name) && inline === undefined) {
      flags.add(name);
    } else {
      throw usageError(`unrecognized arguments: ${arg}`);
    }
  }
  if (positional.length > 1) throw usageError(`unrecognized arguments: ${positional.slice(1).join(' ')}`);
  const domain = positional[0]?.toLowerCase();
  if (domain !== undefined && !DOMAIN.test(domain)) throw usageError(`invalid site name: ${positional[0]}`);
  const caches = CACHE_FLAGS.filter((c) => flags.has(c));
  const phps = PHP_FLAGS.filter((p) => flags.has(p));
  if (caches.length > 1) throw usageError(`choose at most one cache type (${caches.join(', ')})`);
  if (phps.length > 1) throw usageError(`choose at most one PHP version (${phps.join(', ')})`);
  return { domain, flags, options, ssl };
}

/** '--php83' -> '8.3'; undefined when no PHP flag was given. */
export function phpVersionOf(flags) {
  const flag = PHP_FLAGS.find((p) => flags.has(p));
  return flag ? `${flag[3]}.${flag[4]}` : undefined;
}

export function cacheTypeOf(flags) {
  return CACHE_FLAGS.find((c) => flags.has(c));
}
