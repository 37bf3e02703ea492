/**
 * `htdocs/index.php` of a shared-core site. It follows the `wp` link chain with
 * readlink(), which PHP's per-worker realpath cache does not cache, and loads the
 * release by its real path: after a switch every worker runs the new core on its
 * next request instead of up to realpath_cache_ttl later (DESIGN §5.2). Release
 * paths never change meaning (releases are immutable), so caching them is safe.
 */
export const FRONT_CONTROLLER_MARK = 'wofleet front controller';

export function frontControllerSource(): string {
  return `<?php
/* ${FRONT_CONTROLLER_MARK}: managed by wofleet-agent. Do not edit. */
define( 'WP_USE_THEMES', true );
$wofleet_core = __DIR__ . '/wp';
for ( $wofleet_i = 0; $wofleet_i < 8; $wofleet_i++ ) {
	$wofleet_target = @readlink( $wofleet_core );
	if ( false === $wofleet_target ) {
		break;
	}
	$wofleet_core = ( '/' === $wofleet_target[0] ) ? $wofleet_target : dirname( $wofleet_core ) . '/' . $wofleet_target;
}
unset( $wofleet_i, $wofleet_target );
require $wofleet_core . '/wp-blog-header.php';
`;
}
