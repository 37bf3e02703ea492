import type { Layout } from '../config/paths.js';
import { phpString } from '../php/php-literal.js';

/**
 * `config/site-bootstrap.php`, required from the wofleet block of every site's
 * wp-config.php (so WP-CLI, which loads the site config directly, gets it too).
 * Sets what a shared core needs per site (DESIGN §5.5): content in the site,
 * plugins/mu-plugins from the shared tree at their real paths, and no file
 * modifications or auto-updates from inside WordPress.
 */
export function siteBootstrapSource(layout: Layout): string {
  return `<?php
/* wofleet site bootstrap: managed by wofleet-agent. Do not edit. */
if ( ! defined( 'WOFLEET_DOMAIN' ) ) {
	return;
}
$wofleet_scheme = ( ( isset( $_SERVER['HTTPS'] ) && 'off' !== $_SERVER['HTTPS'] ) || ( isset( $_SERVER['HTTP_X_FORWARDED_PROTO'] ) && 'https' === $_SERVER['HTTP_X_FORWARDED_PROTO'] ) ) ? 'https' : ( defined( 'WOFLEET_SSL' ) && WOFLEET_SSL ? 'https' : 'http' );
$wofleet_site_url = $wofleet_scheme . '://' . WOFLEET_DOMAIN;
defined( 'WOFLEET_SHARED_ROOT' ) || define( 'WOFLEET_SHARED_ROOT', ${phpString(layout.sharedRoot)} );
defined( 'WP_SITEURL' ) || define( 'WP_SITEURL', $wofleet_site_url . '/wp' );
defined( 'WP_CONTENT_DIR' ) || define( 'WP_CONTENT_DIR', ${phpString(layout.sitesRoot)} . '/' . WOFLEET_DOMAIN . '/htdocs/wp-content' );
defined( 'WP_CONTENT_URL' ) || define( 'WP_CONTENT_URL', $wofleet_site_url . '/wp-content' );
defined( 'WP_PLUGIN_DIR' ) || define( 'WP_PLUGIN_DIR', ${phpString(`${layout.wpContent}/plugins`)} );
defined( 'WP_PLUGIN_URL' ) || define( 'WP_PLUGIN_URL', $wofleet_site_url . '/wp-content/plugins' );
defined( 'WPMU_PLUGIN_DIR' ) || define( 'WPMU_PLUGIN_DIR', ${phpString(`${layout.wpContent}/mu-plugins`)} );
defined( 'WPMU_PLUGIN_URL' ) || define( 'WPMU_PLUGIN_URL', $wofleet_site_url . '/wp-content/mu-plugins' );
defined( 'DISALLOW_FILE_MODS' ) || define( 'DISALLOW_FILE_MODS', true );
defined( 'AUTOMATIC_UPDATER_DISABLED' ) || define( 'AUTOMATIC_UPDATER_DISABLED', true );
defined( 'WP_AUTO_UPDATE_CORE' ) || define( 'WP_AUTO_UPDATE_CORE', false );
unset( $wofleet_scheme, $wofleet_site_url );
`;
}

export const CONFIG_BLOCK_BEGIN = '/* wofleet:begin (managed by wofleet-agent; removed by convert --revert) */';
export const CONFIG_BLOCK_END = '/* wofleet:end */';

/** The block inserted into a site's wp-config.php, before it loads wp-settings.php. */
export function siteConfigBlock(layout: Layout, domain: string, ssl: boolean): string {
  return [
    CONFIG_BLOCK_BEGIN,
    `define( 'WOFLEET_DOMAIN', ${phpString(domain)} );`,
    `define( 'WOFLEET_SSL', ${ssl ? 'true' : 'false'} );`,
    `require_once ${phpString(layout.siteBootstrap)};`,
    CONFIG_BLOCK_END,
    '',
  ].join('\n');
}
