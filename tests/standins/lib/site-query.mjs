// `wo site list` (one coloured domain per line) and `wo site info D` (plain text from
// WordOps' siteinfo template, matched byte for byte against recorded real runs).
import path from 'node:path';
import { fail, info } from './output.mjs';
import { parseSiteArgs, usageError } from './site-args.mjs';
import { findSite, listSites } from './sitedb.mjs';

export function siteList(config, argv) {
  const enabledOnly = argv.includes('--enabled');
  const disabledOnly = argv.includes('--disabled');
  for (const site of listSites(config.woDatabase)) {
    if (enabledOnly && !site.is_enabled) continue;
    if (disabledOnly && site.is_enabled) continue;
    info(String(site.sitename));
  }
}

export function siteInfo(config, argv) {
  const { domain } = parseSiteArgs(argv);
  if (!domain) throw usageError('the following arguments are required: site_name');
  const site = findSite(config.woDatabase, domain);
  if (!site) throw fail(`site ${domain} does not exist`);
  process.stdout.write(renderSiteInfo(domain, site));
}

/**
 * WordOps 3.22's siteinfo.mustache as its `site info` renders it: plain text, no colours;
 * the cache type is only the second word of "Nginx configuration"; empty sections leave
 * blank lines. SSL sites also get "SSL PROVIDER" and, in WordOps, "SSL EXPIRY DATE" read
 * from the certificate: there is no Let's Encrypt certificate here, so that line is left out.
 */
function renderSiteInfo(domain, site) {
  const root = String(site.site_path);
  const ssl = site.is_ssl ? 'enabled' : 'disabled';
  const db = (label, value) => (site.db_name ? `${label}\t\t\t ${value}` : '');
  return [
    `Information about ${domain} ():`,
    '',
    '',
    `Nginx configuration\t ${site.site_type} ${site.cache_type} (${site.is_enabled ? 'enabled' : 'disabled'}) `,
    site.php_version ? `PHP Version\t\t ${site.php_version}` : '',
    '',
    `SSL\t\t\t ${ssl}${site.is_ssl ? '\nSSL PROVIDER\t\t Lets Encrypt' : ''}`,
    '',
    `access_log\t\t ${path.join(root, 'logs', 'access.log')}`,
    `error_log\t\t ${path.join(root, 'logs', 'error.log')}`,
    `Webroot\t\t\t ${root}`,
    '',
    db('DB_NAME', site.db_name),
    db('DB_USER', site.db_user),
    db('DB_PASS', site.db_password),
    '',
    '',
  ].join('\n');
}
