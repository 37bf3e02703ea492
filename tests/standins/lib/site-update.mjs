// `wo site update D [cache flag] [--phpNN] [-le]`: switches PHP version / cache type /
// SSL flag, rewrites the vhost and runs the permission fixer. Like WordOps, its
// failures (unknown site, missing PHP) are printed but still exit 0.
import fs from 'node:fs';
import { phpSocket, reloadNginx, vhostText, writeVhost } from './nginx.mjs';
import { COLOR, fail, info, step } from './output.mjs';
import { fixSitePermissions } from './permissions.mjs';
import { cacheTypeOf, parseSiteArgs, phpVersionOf, usageError } from './site-args.mjs';
import { findSite, updateSite } from './sitedb.mjs';

export async function siteUpdate(config, argv) {
  const { domain, flags, ssl } = parseSiteArgs(argv);
  if (!domain) throw usageError('the following arguments are required: site_name');
  const site = findSite(config.woDatabase, domain);
  if (!site) {
    fail(`site ${domain} does not exist`);
    return;
  }
  const requestedPhp = phpVersionOf(flags);
  if (requestedPhp === String(site.php_version)) {
    // WordOps drops a PHP flag the site already has; with nothing else asked, it stops there.
    info(`PHP ${requestedPhp} is already enabled for given site`);
    if (cacheTypeOf(flags) === undefined && !ssl) return;
  }
  const phpVersion = requestedPhp ?? String(site.php_version);
  const cacheType = cacheTypeOf(flags) ?? String(site.cache_type);
  if (!fs.existsSync(phpSocket(config, phpVersion))) {
    fail(`PHP ${phpVersion} is not installed`);
    return;
  }
  const siteRoot = String(site.site_path);
  step('Updating NGINX configuration', () => writeVhost(config, domain, vhostText(config, domain, siteRoot, phpVersion, cacheType)));
  updateSite(config.woDatabase, domain, { php_version: phpVersion, cache_type: cacheType, is_ssl: ssl || Boolean(site.is_ssl) });
  step('Setting up permissions', () => fixSitePermissions(siteRoot, config.webUser));
  try {
    await reloadNginx(config);
  } catch (err) {
    fail(`service nginx reload failed: ${err.message}`);
    return;
  }
  info(`${COLOR.green}Successfully updated site http://${domain}`);
}
