import type { Layout } from '../config/paths.js';
import { phpString } from '../php/php-literal.js';
import { HEALTH_PATH } from '../runtime/probe.js';

export const MU_PLUGIN_FILE = 'wofleet-baseline.php';

/**
 * The MU-plugin every shared-core site loads. Two jobs:
 * - enforce the baseline (DESIGN §5.5): plugins forced active through
 *   option_active_plugins, theme through pre_option_template/stylesheet, options
 *   through pre_option_<name>;
 * - answer the agent's health probe on HEALTH_PATH, only from loopback and only
 *   with the token the agent holds, with what the worker really runs.
 */
export function muPluginSource(layout: Layout): string {
  return `<?php
/**
 * Plugin Name: wofleet baseline and health
 * Description: Managed by wofleet-agent. Enforces the fleet baseline and answers the agent's health probe.
 */
if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

function wofleet_baseline() {
	static $baseline = null;
	if ( null === $baseline ) {
		$raw      = @file_get_contents( ${phpString(layout.baselineFile)} );
		$decoded  = is_string( $raw ) ? json_decode( $raw, true ) : null;
		$baseline = is_array( $decoded ) ? $decoded : array();
	}
	return $baseline;
}

$wofleet_b = wofleet_baseline();
if ( ! empty( $wofleet_b['plugins'] ) && is_array( $wofleet_b['plugins'] ) ) {
	add_filter(
		'option_active_plugins',
		function ( $active ) {
			$forced = wofleet_baseline()['plugins'];
			$active = is_array( $active ) ? $active : array();
			foreach ( $forced as $plugin ) {
				if ( is_string( $plugin ) && ! in_array( $plugin, $active, true ) && file_exists( WP_PLUGIN_DIR . '/' . $plugin ) ) {
					$active[] = $plugin;
				}
			}
			return $active;
		}
	);
}
if ( ! empty( $wofleet_b['theme'] ) && is_string( $wofleet_b['theme'] ) ) {
	$wofleet_theme = function () {
		return wofleet_baseline()['theme'];
	};
	add_filter( 'pre_option_template', $wofleet_theme );
	add_filter( 'pre_option_stylesheet', $wofleet_theme );
}
if ( ! empty( $wofleet_b['options'] ) && is_array( $wofleet_b['options'] ) ) {
	foreach ( $wofleet_b['options'] as $wofleet_name => $wofleet_value ) {
		add_filter(
			'pre_option_' . $wofleet_name,
			function () use ( $wofleet_value ) {
				return $wofleet_value;
			}
		);
	}
}
unset( $wofleet_b, $wofleet_theme, $wofleet_name, $wofleet_value );

function wofleet_health_answer() {
	$path = isset( $_SERVER['REQUEST_URI'] ) ? strtok( (string) $_SERVER['REQUEST_URI'], '?' ) : '';
	if ( ${phpString(HEALTH_PATH)} !== $path ) {
		return;
	}
	$remote   = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) $_SERVER['REMOTE_ADDR'] : '';
	$token    = @file_get_contents( ${phpString(`${layout.configDir}/health-token`)} );
	$given    = isset( $_SERVER['HTTP_X_WOFLEET_TOKEN'] ) ? (string) $_SERVER['HTTP_X_WOFLEET_TOKEN'] : '';
	$loopback = ( 0 === strpos( $remote, '127.' ) || '::1' === $remote );
	if ( ! $loopback || ! is_string( $token ) || '' === trim( $token ) || ! hash_equals( trim( $token ), $given ) ) {
		status_header( 404 );
		exit;
	}
	global $wp_version, $wp_db_version;
	$baseline = wofleet_baseline();
	nocache_headers();
	header( 'Content-Type: application/json' );
	echo wp_json_encode(
		array(
			'site'          => defined( 'WOFLEET_DOMAIN' ) ? WOFLEET_DOMAIN : '',
			'wp_version'    => $wp_version,
			'wp_db_version' => (int) $wp_db_version,
			'db_version'    => (int) get_option( 'db_version' ),
			'php_version'   => PHP_VERSION,
			'release'       => basename( rtrim( ABSPATH, '/' ) ),
			'theme'         => get_option( 'stylesheet' ),
			'plugins'       => array_values( (array) get_option( 'active_plugins' ) ),
			'baseline'      => array(
				'theme'   => isset( $baseline['theme'] ) ? $baseline['theme'] : null,
				'plugins' => isset( $baseline['plugins'] ) ? $baseline['plugins'] : array(),
			),
		)
	);
	exit;
}
add_action( 'muplugins_loaded', 'wofleet_health_answer', 0 );
`;
}
