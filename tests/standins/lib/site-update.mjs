// `wo site update D [cache flag] [--phpNN] [-le]` as WordOps 3.22 runs it (realwo/outputs/
// 11, 12, 13, 20): pre-run checks, a backup (vhost, database dump, wp-config.php), the new
// vhost checked with `nginx -t`, the registry, the permission fixer, test + reload.
// Quirks kept: a failed backup goes on; a vhost `nginx -t` refuses is LEFT in place and
// the update stops with exit 0; an unknown site is printed with exit 0.
import fs from 'node:fs';
import path from 'node:path';
import { backupStamp } from './made-up.mjs';
import { mysqlDump } from './mariadb.mjs';
import { nginxConfigOk, phpSocket, vhostPaths, vhostText, writeVhost } from './nginx.mjs';
import { preRunChecks, testAndReloadNginx } from './nginx-reload.mjs';
import { doneStep, fail, info, infoFailure, waitStep } from './output.mjs';
import { fixSitePermissions } from './permissions.mjs';
import { failPhpInstall } from './php-install.mjs';
import { run } from './run.mjs';
import { cacheTypeOf, parseSiteArgs, phpVersionOf, usageError } from './site-args.mjs';
import { findSite, updateSite } from './sitedb.mjs';

/** WordOps' sitebackup: copies the vhost, dumps the database through zstd, copies wp-config.php. */
function backupSite(config, domain, site) {
  const siteRoot = String(site.site_path);
  const backupDir = path.join(siteRoot, 'backup', backupStamp(config));
  fs.mkdirSync(backupDir, { recursive: true });
  info(`Backup location : ${backupDir}`);
  fs.copyFileSync(vhostPaths(config, domain).available, path.join(backupDir, domain));
  if (!site.db_name) return;
  doneStep('Backing up database \t\t', () => {
    const dump = mysqlDump(config.mysql, String(site.db_name));
    run('zstd', ['-q', '-o', path.join(backupDir, `${site.db_name}.zst`)], { input: dump });
  });
  fs.copyFileSync(path.join(siteRoot, 'wp-config.php'), path.join(backupDir, 'wp-config.php'));
}

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
  if (!fs.existsSync(phpSocket(config, phpVersion))) throw failPhpInstall();
  const siteRoot = String(site.site_path);
  preRunChecks(config);
  try {
    backupSite(config, domain, site);
  } catch {
    // WordOps logs a failed backup at debug level and goes on.
  }
  try {
    doneStep('Setting up NGINX configuration \t', () => {
      writeVhost(config, domain, vhostText(config, domain, siteRoot, phpVersion, cacheType));
      if (!nginxConfigOk(config)) throw new Error('created nginx configuration failed for site. check with `nginx -t`');
    });
  } catch {
    infoFailure('Update site failed.Check the log for details:`tail /var/log/wo/wordops.log` and please try again');
    return;
  }
  doneStep('Setting up webroot \t\t', () => undefined);
  const helperCache = cacheType === 'wpfc' || cacheType === 'wpredis';
  // Offline, like the recorded runs: the nginx-helper settings are not written (no plugin).
  if (helperCache && cacheType !== site.cache_type) waitStep('Setting plugin nginx-helper');
  updateSite(config.woDatabase, domain, { php_version: phpVersion, cache_type: cacheType, is_ssl: ssl || Boolean(site.is_ssl) });
  fixSitePermissions(siteRoot, config.webUser);
  try {
    await testAndReloadNginx(config);
  } catch {
    throw fail('service nginx reload failed. check issues with `nginx -t` command');
  }
  if (helperCache) info(`Nginx-Helper configuration :\thttp://${domain}/wp-admin/options-general.php?page=nginx`);
  info(`Successfully updated site http://${domain}`);
}
