<?php
/**
 * PHP half of the `wp` STAND-IN for WP-CLI (tests only; see ./wp). Loads WordPress the
 * way WP-CLI does and runs one command. The request arrives as JSON in the environment
 * variable WOFLEET_WP_REQUEST; nothing from it is ever interpolated into PHP code.
 *
 * Like WP-CLI: ABSPATH is the --path as given (not resolved), DOCUMENT_ROOT its
 * realpath; wp-config.php is read, its `require ... wp-settings.php` line removed,
 * __FILE__/__DIR__ replaced by the config's real location, then evaluated in the global
 * scope with ABSPATH already defined; then wp-settings.php is loaded.
 *
 * Request: { command: 'db-credentials'|'core install'|'core update-db'|'option get',
 *            abspath, documentRoot, configPath, url, args: string[], assoc: object, skipPlugins, skipThemes }
 */

function wofleet_error( $message, $code = 1 ) {
	fwrite( STDERR, 'Error: ' . $message . "\n" );
	exit( $code );
}

function wofleet_success( $message ) {
	echo 'Success: ' . $message . "\n";
}

/** WP_CLI::add_wp_hook(): a hook registered before plugin.php is loaded. */
function wofleet_preload_hook( $tag, $callback, $priority = 10, $accepted_args = 1 ) {
	$GLOBALS['wp_filter'][ $tag ][ $priority ][] = array(
		'function'      => $callback,
		'accepted_args' => $accepted_args,
	);
}

/** WP_CLI::set_url(). */
function wofleet_set_url( $url ) {
	$parts = parse_url( $url );
	if ( isset( $parts['host'] ) ) {
		if ( isset( $parts['scheme'] ) && 'https' === strtolower( $parts['scheme'] ) ) {
			$_SERVER['HTTPS'] = 'on';
		}
		$_SERVER['HTTP_HOST'] = $parts['host'] . ( isset( $parts['port'] ) ? ':' . $parts['port'] : '' );
		$_SERVER['SERVER_NAME'] = $parts['host'];
	}
	$_SERVER['REQUEST_URI']  = ( isset( $parts['path'] ) ? $parts['path'] : '' ) . ( isset( $parts['query'] ) ? '?' . $parts['query'] : '' );
	$_SERVER['SERVER_PORT']  = isset( $parts['port'] ) ? (string) $parts['port'] : '80';
	$_SERVER['QUERY_STRING'] = isset( $parts['query'] ) ? $parts['query'] : '';
}

/** Runner::get_wp_config_code(), with __FILE__/__DIR__ replaced at token level. */
function wofleet_wp_config_code( $config_path ) {
	$code = file_get_contents( $config_path );
	if ( false === $code ) {
		wofleet_error( "Cannot read '$config_path'." );
	}
	if ( 0 === strncmp( $code, "\xEF\xBB\xBF", 3 ) ) {
		$code = substr( $code, 3 );
	}
	$count = 0;
	$code  = preg_replace( '/\s*require(?:_once)?\s*.*wp-settings\.php.*\s*;/', '', $code, -1, $count );
	if ( 0 === $count ) {
		wofleet_error( 'Strange wp-config.php file: wp-settings.php is not loaded directly.' );
	}
	$real = realpath( $config_path );
	$out  = '';
	foreach ( token_get_all( $code ) as $token ) {
		if ( is_array( $token ) && T_FILE === $token[0] ) {
			$out .= var_export( $real, true );
		} elseif ( is_array( $token ) && T_DIR === $token[0] ) {
			$out .= var_export( dirname( $real ), true );
		} else {
			$out .= is_array( $token ) ? $token[1] : $token;
		}
	}
	return preg_replace( '|^\s*\<\?php\s*|', '', $out );
}

function wofleet_print_value( $value, $assoc ) {
	if ( isset( $assoc['format'] ) && 'json' === $assoc['format'] ) {
		$value = json_encode( $value );
	} elseif ( is_array( $value ) || is_object( $value ) ) {
		$value = var_export( $value, true );
	}
	echo $value . "\n";
}

function wofleet_core_install( $request ) {
	$assoc = $request['assoc'];
	foreach ( array( 'url', 'title', 'admin_user', 'admin_email' ) as $required ) {
		if ( ! isset( $assoc[ $required ] ) || '' === $assoc[ $required ] ) {
			wofleet_error( "Parameter errors:\n missing --$required parameter" );
		}
	}
	if ( ! is_email( $assoc['admin_email'] ) ) {
		wofleet_error( "The '{$assoc['admin_email']}' email address is invalid." );
	}
	// Mail cannot be sent from tests: always behave as with --skip-email.
	if ( ! function_exists( 'wp_new_blog_notification' ) ) {
		function wp_new_blog_notification() {} // phpcs:ignore
	}
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	if ( is_blog_installed() ) {
		echo "WordPress is already installed.\n";
		return;
	}
	$generated = ! isset( $assoc['admin_password'] );
	$password  = $generated ? wp_generate_password( 24 ) : $assoc['admin_password'];
	$result    = wp_install( $assoc['title'], $assoc['admin_user'], $assoc['admin_email'], true, '', wp_slash( $password ) );
	if ( is_wp_error( $result ) ) {
		wofleet_error( 'Installation failed (' . $result->get_error_message() . ').' );
	}
	if ( ! empty( $GLOBALS['wpdb']->last_error ) ) {
		wofleet_error( 'Installation produced database errors, and may have partially or completely failed.' );
	}
	update_option( 'siteurl', defined( 'WP_SITEURL' ) ? WP_SITEURL : $assoc['url'] );
	update_option( 'home', defined( 'WP_HOME' ) ? WP_HOME : $assoc['url'] );
	if ( $generated ) {
		echo "Admin password: $password\n";
	}
	wofleet_success( 'WordPress installed successfully.' );
}

function wofleet_core_update_db( $request ) {
	global $wp_db_version, $wp_current_db_version;
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	$wp_current_db_version = (int) __get_option( 'db_version' );
	$dry_run               = ! empty( $request['assoc']['dry-run'] );
	if ( $wp_db_version === $wp_current_db_version ) {
		wofleet_success( "WordPress database already at latest db version {$wp_db_version}." );
		return;
	}
	if ( $dry_run ) {
		echo "Performing a dry run, with no database modification.\n";
		wofleet_success( "WordPress database will be upgraded from db version {$wp_current_db_version} to {$wp_db_version}." );
		return;
	}
	wp_upgrade();
	wofleet_success( "WordPress database upgraded successfully from db version {$wp_current_db_version} to {$wp_db_version}." );
}

function wofleet_option_get( $request ) {
	if ( count( $request['args'] ) !== 1 ) {
		wofleet_error( 'usage: wp option get <key> [--format=<format>]' );
	}
	$name  = $request['args'][0];
	$value = get_option( $name );
	if ( false === $value ) {
		wofleet_error( "Could not get '$name' option. Does it exist?" );
	}
	wofleet_print_value( $value, $request['assoc'] );
}

// ---------------------------------------------------------------------------------
// Bootstrap (global scope, like WP-CLI's load_wordpress()).

$wofleet_request = json_decode( (string) getenv( 'WOFLEET_WP_REQUEST' ), true );
if ( ! is_array( $wofleet_request ) ) {
	wofleet_error( 'wp-runner.php: missing or invalid WOFLEET_WP_REQUEST' );
}

define( 'WP_CLI', true );
define( 'WP_CLI_VERSION', '2.11.0 (wofleet stand-in)' );
define( 'ABSPATH', $wofleet_request['abspath'] );
$_SERVER['DOCUMENT_ROOT'] = $wofleet_request['documentRoot'];
if ( ! empty( $wofleet_request['url'] ) ) {
	wofleet_set_url( $wofleet_request['url'] );
}
if ( in_array( $wofleet_request['command'], array( 'core install', 'core update-db' ), true ) ) {
	define( 'WP_INSTALLING', true );
}
if ( function_exists( 'mysqli_report' ) ) {
	mysqli_report( 0 );
}

eval( wofleet_wp_config_code( $wofleet_request['configPath'] ) ); // phpcs:ignore

if ( 'db-credentials' === $wofleet_request['command'] ) {
	echo json_encode(
		array(
			'name'     => DB_NAME,
			'user'     => DB_USER,
			'password' => DB_PASSWORD,
			'host'     => DB_HOST,
			'charset'  => defined( 'DB_CHARSET' ) ? DB_CHARSET : '',
		)
	);
	exit( 0 );
}

wofleet_preload_hook(
	'wp_die_handler',
	function () {
		return function ( $message ) {
			if ( is_wp_error( $message ) ) {
				$message = $message->get_error_message();
			}
			$text = trim( html_entity_decode( strip_tags( (string) $message ), ENT_QUOTES ) );
			wofleet_error( preg_replace( '/\s+/', ' ', $text ) );
		};
	}
);
if ( ! empty( $wofleet_request['skipPlugins'] ) ) {
	$wofleet_no_plugins = function () { return array(); };
	foreach ( array( 'pre_option_active_plugins', 'option_active_plugins' ) as $wofleet_hook ) {
		wofleet_preload_hook( $wofleet_hook, $wofleet_no_plugins, 999 );
	}
	wofleet_preload_hook(
		'plugins_loaded',
		function () use ( $wofleet_no_plugins ) {
			remove_filter( 'pre_option_active_plugins', $wofleet_no_plugins, 999 );
			remove_filter( 'option_active_plugins', $wofleet_no_plugins, 999 );
		},
		0
	);
}
if ( ! empty( $wofleet_request['skipThemes'] ) ) {
	$wofleet_no_theme = function () { return ''; };
	foreach ( array( 'pre_option_template', 'pre_option_stylesheet' ) as $wofleet_hook ) {
		wofleet_preload_hook( $wofleet_hook, $wofleet_no_theme, 999 );
	}
	wofleet_preload_hook(
		'after_setup_theme',
		function () use ( $wofleet_no_theme ) {
			remove_filter( 'pre_option_template', $wofleet_no_theme, 999 );
			remove_filter( 'pre_option_stylesheet', $wofleet_no_theme, 999 );
		},
		0
	);
}

require ABSPATH . 'wp-settings.php';

switch ( $wofleet_request['command'] ) {
	case 'core install':
		wofleet_core_install( $wofleet_request );
		break;
	case 'core update-db':
		wofleet_core_update_db( $wofleet_request );
		break;
	case 'option get':
		wofleet_option_get( $wofleet_request );
		break;
	default:
		wofleet_error( "wp-runner.php: unknown command '{$wofleet_request['command']}'" );
}
exit( 0 );
