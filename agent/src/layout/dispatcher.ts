import type { Layout } from '../config/paths.js';
import { PHP_DOMAIN_PATTERN, phpString } from '../php/php-literal.js';

/**
 * `releases/wp-config.php` (DESIGN §5.3): wp-load.php looks for the config beside
 * the release, then one level up, so every site's request lands here. It picks the
 * site from the unresolved DOCUMENT_ROOT nginx passes (or WP_CONFIG_PATH for
 * WP-CLI), re-validates the domain, and fails closed with a 503 for anything else.
 */
export function dispatcherSource(layout: Layout): string {
  const sitesRoot = layout.sitesRoot.replace(/\/$/, '');
  return `<?php
/* wofleet dispatcher: managed by wofleet-agent, rewritten by 'init --force'. Do not edit. */
$wofleet_sites_root = ${phpString(sitesRoot)};
$wofleet_pattern = '#^' . preg_quote( $wofleet_sites_root, '#' ) . '/(${PHP_DOMAIN_PATTERN})(?:/htdocs/?|/wp-config\\.php)$#';
$wofleet_from = getenv( 'WP_CONFIG_PATH' );
if ( ! is_string( $wofleet_from ) || PHP_SAPI !== 'cli' ) {
	$wofleet_from = isset( $_SERVER['DOCUMENT_ROOT'] ) ? (string) $_SERVER['DOCUMENT_ROOT'] : '';
}
if ( ! preg_match( $wofleet_pattern, $wofleet_from, $wofleet_match ) || ! is_file( $wofleet_sites_root . '/' . $wofleet_match[1] . '/wp-config.php' ) ) {
	if ( PHP_SAPI !== 'cli' ) {
		header( 'HTTP/1.1 503 Service Unavailable' );
		header( 'Content-Type: text/plain' );
	}
	echo "wofleet: no shared-core site configured for this request\\n";
	exit( 1 );
}
unset( $wofleet_from, $wofleet_pattern );
require $wofleet_sites_root . '/' . $wofleet_match[1] . '/wp-config.php';
`;
}
