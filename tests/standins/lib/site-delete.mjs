// `wo site delete D --no-prompt`: vhost, database, webroot (a recursive delete that
// unlinks symlinks and never follows them), registry row. An unknown site is an error in
// red with exit 1, as in the recorded real run (realwo/outputs/16-delete-missing.txt).
import fs from 'node:fs';
import { dropSiteDatabase } from './mariadb.mjs';
import { reloadNginx, removeVhost, waitForVhost } from './nginx.mjs';
import { COLOR, fail, info, step } from './output.mjs';
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
  step('Removing NGINX configuration', () => removeVhost(config, domain));
  await reloadNginx(config);
  await waitForVhost(config, domain, false);
  step('Deleting database', () => dropSiteDatabase(config, site.db_name, site.db_user));
  step('Deleting webroot', () => fs.rmSync(siteRoot, { recursive: true, force: true }));
  deleteSite(config.woDatabase, domain);
  info(`${COLOR.green}Deleted site ${domain}`);
}
