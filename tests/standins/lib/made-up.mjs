// Values WordOps makes up at random (site_functions.py: random.sample over letters and
// digits). A replay of a recorded run cannot reproduce them, so the test-only setting
// `fixedRandom` in $WOFLEET_STANDIN_CONFIG may name each one; unset, they are random.
import crypto from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** random.sample: `length` distinct characters of the alphabet. */
function sample(length) {
  const pool = [...ALPHABET];
  let out = '';
  for (let i = 0; i < length; i++) out += pool.splice(crypto.randomInt(pool.length), 1)[0];
  return out;
}

/**
 * @param {import('./config.mjs').StandinConfig} config
 * @param {'adminPassword' | 'dbNameSuffix' | 'dbUserSuffix' | 'dbPassword'} field
 */
export function madeUp(config, field) {
  const fixed = config.fixedRandom?.[field];
  if (fixed !== undefined) return fixed;
  return sample({ adminPassword: 24, dbNameSuffix: 8, dbUserSuffix: 4, dbPassword: 24 }[field]);
}

/** The backup directory's time stamp (02Dec2026-18-00-50); fixed by `fixedRandom.backupTime`. */
export function backupStamp(config) {
  if (config.fixedRandom?.backupTime !== undefined) return config.fixedRandom.backupTime;
  const now = new Date();
  const two = (n) => String(n).padStart(2, '0');
  const month = now.toLocaleString('en-US', { month: 'short' });
  return `${two(now.getDate())}${month}${now.getFullYear()}-${two(now.getHours())}-${two(now.getMinutes())}-${two(now.getSeconds())}`;
}
