// `wo site list` (one coloured domain per line) and `wo site info D` (a header, then
// tab-separated label/value lines, coloured).
import path from 'node:path';
import { COLOR, fail, info } from './output.mjs';
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
  const root = String(site.site_path);
  const rows = [
    ['Nginx configuration', `${site.site_type} ${site.cache_type} (${site.is_enabled ? 'enabled' : 'disabled'})`],
    ['Site type', site.site_type],
    ['Cache type', site.cache_type],
    ['PHP Version', site.php_version],
    ['SSL', site.is_ssl ? 'enabled' : 'disabled'],
    ['access_log', path.join(root, 'logs', 'access.log')],
    ['error_log', path.join(root, 'logs', 'error.log')],
    ['Webroot', root],
  ];
  if (site.db_name) {
    rows.push(['DB_NAME', site.db_name], ['DB_USER', site.db_user], ['DB_HOST', site.db_host], ['DB_PASS', site.db_password]);
  }
  info(`${COLOR.bold}Information about ${domain} (domain):${COLOR.end}`);
  process.stdout.write('\n');
  for (const [label, value] of rows) {
    process.stdout.write(`${COLOR.blue}${label}${COLOR.end}\t${value}\n`);
  }
}
