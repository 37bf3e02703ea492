// WordOps 3.22 crashes when `wp core download` fails (offline, and WP-CLI not told where
// its cached archive is; realwo/outputs/00-create-wp-offline-no-wpcli-config): its cleanup
// reads data['wo_mysql_grant_host'], which only the database step sets. Python prints the
// traceback on stderr and exits 1, leaving the vhost, the webroot and the site's row
// (without database) behind. The stand-in takes this path when its WordPress archive cannot
// be unpacked.
import { WoExit } from './output.mjs';

export class DownloadFailed extends Error {}

const TRACEBACK = `Traceback (most recent call last):
  File "/opt/wo/lib/python3.11/site-packages/wo/cli/plugins/site_create.py", line 461, in default
    wo_wp_creds = setupwordpress(self, data, vhostonly)
                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/wo/lib/python3.11/site-packages/wo/cli/plugins/site_functions.py", line 280, in setupwordpress
    raise SiteError("download WordPress core failed")
wo.cli.plugins.site_functions.SiteError: 'download WordPress core failed'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/local/bin/wo", line 8, in <module>
    sys.exit(main())
             ^^^^^^
  File "/opt/wo/lib/python3.11/site-packages/wo/cli/main.py", line 102, in main
    app.run()
  File "/opt/wo/lib/python3.11/site-packages/cement/core/foundation.py", line 882, in run
    return_val = self.controller._dispatch()
                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/wo/lib/python3.11/site-packages/cement/core/controller.py", line 471, in _dispatch
    return func()
           ^^^^^^
  File "/opt/wo/lib/python3.11/site-packages/cement/core/controller.py", line 471, in _dispatch
    return func()
           ^^^^^^
  File "/opt/wo/lib/python3.11/site-packages/cement/core/controller.py", line 477, in _dispatch
    return func()
           ^^^^^^
  File "/opt/wo/lib/python3.11/site-packages/wo/cli/plugins/site_create.py", line 478, in default
    dbhost=data['wo_mysql_grant_host'])
           ~~~~^^^^^^^^^^^^^^^^^^^^^^^
KeyError: 'wo_mysql_grant_host'
`;

export function crashOnDownloadCleanup() {
  process.stderr.write(TRACEBACK);
  return new WoExit(1, "KeyError: 'wo_mysql_grant_host'");
}
