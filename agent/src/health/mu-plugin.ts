import type { Layout } from '../config/paths.js';
import { phpString } from '../php/php-literal.js';
import { HEALTH_PATH, PROOF_NONCE_HEADER, PROOF_QUERY_PARAM } from '../runtime/probe.js';
import { PROOF_MARKER_OPEN } from './proof-marker.js';

/** PHP's name for a request header: HTTP_ + upper case, '-' as '_'. */
const serverKey = (header: string) => `HTTP_${header.toUpperCase().replace(/-/g, '_')}`;

export const MU_PLUGIN_FILE = 'wofleet-baseline.php';

/**
 * The MU-plugin every shared-core site loads. Two jobs:
 * - enforce the baseline (DESIGN §5.5): plugins forced active through
 *   option_active_plugins, theme through pre_option_template/stylesheet, options
 *   through pre_option_<name>;
 * - answer the agent's health probe on HEALTH_PATH, only from loopback and only
 *   with the token the agent holds, with what the worker really runs;
 * - for the agent's serving proof (health/proof.ts; same loopback and token, plus a nonce
 *   in both a header and the query), count the PHP warnings the page raises and end the
 *   page with a marker carrying the nonce, written late: at `shutdown` after every
 *   output buffer was flushed (wp_ob_end_flush_all runs at priority 1), or inside
 *   WordPress' fatal error page, whose handler exits in its own shutdown function before
 *   the `shutdown` action could run.
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

/** Only the agent: from loopback, with the token it holds. */
function wofleet_probe_allowed() {
	static $allowed = null;
	if ( null === $allowed ) {
		$remote   = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) $_SERVER['REMOTE_ADDR'] : '';
		$token    = @file_get_contents( ${phpString(`${layout.configDir}/health-token`)} );
		$given    = isset( $_SERVER['HTTP_X_WOFLEET_TOKEN'] ) ? (string) $_SERVER['HTTP_X_WOFLEET_TOKEN'] : '';
		$loopback = ( 0 === strpos( $remote, '127.' ) || '::1' === $remote );
		$allowed  = $loopback && is_string( $token ) && '' !== trim( $token ) && hash_equals( trim( $token ), $given );
	}
	return $allowed;
}

function wofleet_health_answer() {
	$path = isset( $_SERVER['REQUEST_URI'] ) ? strtok( (string) $_SERVER['REQUEST_URI'], '?' ) : '';
	if ( ${phpString(HEALTH_PATH)} !== $path ) {
		return;
	}
	if ( ! wofleet_probe_allowed() ) {
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

/** The proof's nonce when this request is the agent's serving proof, else ''. */
function wofleet_proof_nonce() {
	static $nonce = null;
	if ( null === $nonce ) {
		$header = isset( $_SERVER[${phpString(serverKey(PROOF_NONCE_HEADER))}] ) ? (string) $_SERVER[${phpString(serverKey(PROOF_NONCE_HEADER))}] : '';
		$query  = isset( $_GET[${phpString(PROOF_QUERY_PARAM)}] ) ? (string) $_GET[${phpString(PROOF_QUERY_PARAM)}] : '';
		$nonce  = ( 1 === preg_match( '/^[0-9a-f]{32}$/', $header ) && hash_equals( $header, $query ) && wofleet_probe_allowed() ) ? $header : '';
	}
	return $nonce;
}

/** Counts what error_reporting() includes (what PHP would log), then lets the previous handler or PHP's own run. */
function wofleet_proof_count( $errno, $errstr, $errfile = '', $errline = 0 ) {
	global $wofleet_proof;
	if ( error_reporting() & $errno ) {
		++$wofleet_proof['warnings'];
		if ( null === $wofleet_proof['first'] ) {
			$wofleet_proof['first'] = array( 'message' => (string) $errstr, 'file' => (string) $errfile, 'line' => (int) $errline );
		}
	}
	if ( is_callable( $wofleet_proof['previous'] ) ) {
		return call_user_func( $wofleet_proof['previous'], $errno, $errstr, $errfile, $errline );
	}
	return false;
}

/** The marker: what rendered this page, as an HTML comment (JSON with <, >, & escaped, so it cannot end early). */
function wofleet_proof_marker( $fatal ) {
	global $wofleet_proof, $wp_version, $wp_db_version;
	$wofleet_proof['emitted'] = true;
	$data                     = array(
		'nonce'         => wofleet_proof_nonce(),
		'wp_version'    => (string) $wp_version,
		'wp_db_version' => (int) $wp_db_version,
		'db_version'    => function_exists( 'get_option' ) ? (int) get_option( 'db_version' ) : 0,
		'release'       => basename( rtrim( ABSPATH, '/' ) ),
		'theme'         => function_exists( 'get_option' ) ? (string) get_option( 'stylesheet' ) : null,
		'plugins'       => function_exists( 'get_option' ) ? array_values( (array) get_option( 'active_plugins' ) ) : array(),
		'footer'        => did_action( 'wp_footer' ) > 0,
		'warnings'      => $wofleet_proof['warnings'],
		'first_warning' => $wofleet_proof['first'],
		'ms'            => round( ( microtime( true ) - $wofleet_proof['start'] ) * 1000, 1 ),
	);
	if ( is_array( $fatal ) ) {
		$data['fatal'] = array(
			'message' => isset( $fatal['message'] ) ? (string) $fatal['message'] : '',
			'file'    => isset( $fatal['file'] ) ? (string) $fatal['file'] : '',
			'line'    => isset( $fatal['line'] ) ? (int) $fatal['line'] : 0,
		);
	}
	$json = json_encode( $data, JSON_HEX_TAG | JSON_HEX_AMP | JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR );
	return "\n" . ${phpString(PROOF_MARKER_OPEN)} . $json . " -->\n";
}

/** A fatal PHP error that ended the request, else null. */
function wofleet_proof_fatal() {
	$last = error_get_last();
	$kinds = E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR | E_RECOVERABLE_ERROR;
	return ( is_array( $last ) && ( $last['type'] & $kinds ) ) ? $last : null;
}

if ( '' !== wofleet_proof_nonce() ) {
	$GLOBALS['wofleet_proof']             = array(
		'warnings' => 0,
		'first'    => null,
		'emitted'  => false,
		'start'    => isset( $_SERVER['REQUEST_TIME_FLOAT'] ) ? (float) $_SERVER['REQUEST_TIME_FLOAT'] : microtime( true ),
		'previous' => null,
	);
	$GLOBALS['wofleet_proof']['previous'] = set_error_handler( 'wofleet_proof_count' );
	add_action(
		'shutdown',
		function () {
			global $wofleet_proof;
			if ( ! $wofleet_proof['emitted'] ) {
				echo wofleet_proof_marker( wofleet_proof_fatal() ); // phpcs:ignore WordPress.Security.EscapeOutput -- JSON with <, > and & escaped.
			}
		},
		PHP_INT_MAX
	);
	add_filter(
		'wp_php_error_message',
		function ( $message, $error ) {
			return $message . wofleet_proof_marker( is_array( $error ) ? $error : array() );
		},
		PHP_INT_MAX,
		2
	);
}
`;
}
