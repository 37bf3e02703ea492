// Settings of the `wo` stand-in (tests only). The stack harness
// (tests/support/stack.ts) writes them to a JSON file and names it in
// $WOFLEET_STANDIN_CONFIG; every path the stand-in touches comes from there.
import fs from 'node:fs';

/**
 * @typedef {object} StandinConfig
 * @property {string} sitesRoot            like /var/www
 * @property {{ sitesAvailable: string, sitesEnabled: string, reload: string[], test: string[], pidFile: string, listen: string, port: number }} nginx
 * @property {{ socketDir: string, defaultVersion: string }} php
 * @property {{ host: string, port: number, user: string, password: string }} mysql
 * @property {string} wordpressArchive     wordpress-X.Y.Z.tar.gz (top directory `wordpress/`)
 * @property {string} woDatabase           WordOps' SQLite file (dbase.db)
 * @property {string} dbLedger             one JSON line per database/user created, for cleanup
 * @property {string} wpBin                the real WP-CLI (the stack's launcher of the pinned phar)
 * @property {string} webUser              owner of site files (www-data)
 * @property {{ adminPassword?: string, dbNameSuffix?: string, dbUserSuffix?: string, dbPassword?: string, backupTime?: string }} [fixedRandom]
 *           test-only: values WordOps makes up at random, fixed so a replay can match a recording
 * @property {boolean} [acmeInstalled]     false: like a WordOps host without acme.sh, offline (default true)
 */

/** @returns {StandinConfig} */
export function loadConfig() {
  const file = process.env.WOFLEET_STANDIN_CONFIG;
  if (!file) {
    throw new Error('WOFLEET_STANDIN_CONFIG is not set (this stand-in only runs inside the test stack)');
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read stand-in config ${file}: ${err.message}`);
  }
}
