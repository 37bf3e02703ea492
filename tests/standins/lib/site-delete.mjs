// `wo site delete D --no-prompt`: database, webroot (a recursive delete that unlinks
// symlinks and never follows them), vhost + nginx test and reload, registry row, printed
// as WordOps 3.22 prints them (realwo/outputs/15, 16, 21). An unknown site is an error in
// red with exit 1.
import fs from 'node:fs';
import { dropSiteDatabase } from './mariadb.mjs';
import { removeVhost, waitForVhost } from './nginx.mjs';
import { fail, info } from './output.mjs';
import { testAndReloadNginx } from './nginx-reload.mjs';
import { parseSiteArgs, usageError } from './site-args.mjs';
import { deleteSite, findSite } from './sitedb.mjs';

export async function siteDelete(config, argv) {
  const { domain, flags } = parseSiteArgs(argv);
  if (!domain) throw usageError('the following arguments are required: site_name');
  const site = findSite(config.woDatabase, domain);
  if (!site) throw fail(`site ${domain} does not exist`); // WordOps' Log.error: exit 1
  if (!flags.has('no-prompt') && !flags.has('force')) {
    // Real wo would wait for an answer on stdin here; the stand-in never reads stdin.
    throw fail(`Are you sure you want to delete ${domain}? (stand-in: refusing to prompt; pass --no-prompt)`);
  }
  const siteRoot = String(site.site_path);
  // Python's None where a failed create left no database (realwo/outputs/00b).
  const dbName = site.db_name ?? 'None';
  const dbUser = site.db_user ?? 'None';
  info(`Deleting Database, ${dbName}, user ${dbUser}`);
  if (site.db_name) {
    dropSiteDatabase(config, site.db_name, site.db_user);
  } else {
    // WordOps drops user `None` and flushes privileges; both fail and are printed.
    info(`Database ${dbUser} not dropped`);
    info(`Database ${dbName} not dropped`);
  }
  info('Deleted Database successfully.');
  info(`Deleting Webroot, ${siteRoot}`);
  fs.rmSync(siteRoot, { recursive: true, force: true });
  info('Deleted webroot successfully');
  removeVhost(config, domain);
  await testAndReloadNginx(config);
  await waitForVhost(config, domain, false);
  deleteSite(config.woDatabase, domain);
  // WordOps then removes the site's certificates with acme.sh; where acme.sh is missing it
  // tries to git-clone it, which fails offline: the site is gone, yet wo exits 1.
  if (config.acmeInstalled === false) throw fail('Unable to git clone at /opt/acme.sh ');
  info(`Deleted site ${domain}`);
}
