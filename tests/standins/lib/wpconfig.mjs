// The wp-config.php WordOps leaves one level above htdocs: WordPress' stock shape,
// values written as PHP single-quoted literals.
import crypto from 'node:crypto';

const SALT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~';
function salt() {
  let out = '';
  for (let i = 0; i < 64; i++) out += SALT_ALPHABET[crypto.randomInt(SALT_ALPHABET.length)];
  return out;
}

const SALT_NAMES = [
  'AUTH_KEY',
  'SECURE_AUTH_KEY',
  'LOGGED_IN_KEY',
  'NONCE_KEY',
  'AUTH_SALT',
  'SECURE_AUTH_SALT',
  'LOGGED_IN_SALT',
  'NONCE_SALT',
];

export function phpLiteral(value) {
  return `'${String(value).replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

export function wpConfigText({ dbName, dbUser, dbPassword, dbHost }) {
  const define = (name, value) => `define( '${name}', ${value} );`;
  const salts = SALT_NAMES.map((name) => define(name, phpLiteral(salt())));
  return [
    '<?php',
    '/**',
    ' * The base configuration for WordPress',
    ' * (written by the wofleet test STAND-IN for wo, in the shape WordOps leaves it)',
    ' */',
    '',
    '// ** Database settings ** //',
    define('DB_NAME', phpLiteral(dbName)),
    define('DB_USER', phpLiteral(dbUser)),
    define('DB_PASSWORD', phpLiteral(dbPassword)),
    define('DB_HOST', phpLiteral(dbHost)),
    define('DB_CHARSET', "'utf8mb4'"),
    define('DB_COLLATE', "''"),
    '',
    '/**#@+ Authentication unique keys and salts. */',
    ...salts,
    '/**#@-*/',
    '',
    "$table_prefix = 'wp_';",
    '',
    define('WP_DEBUG', 'false'),
    '',
    "/* That's all, stop editing! Happy publishing. */",
    '',
    '/** Absolute path to the WordPress directory. */',
    "if ( ! defined( 'ABSPATH' ) ) {",
    "\tdefine( 'ABSPATH', __DIR__ . '/' );",
    '}',
    '',
    '/** Sets up WordPress vars and included files. */',
    "require_once ABSPATH . 'wp-settings.php';",
    '',
  ].join('\n');
}
