// `wo site create D --wp [cache] [--phpNN] [-le] [--vhostonly] [--user U --pass P --email E]`
import fs from 'node:fs';
import path from 'node:path';
import { createSiteDatabase, dropSiteDatabase, randomToken, siteDatabaseNames } from './mariadb.mjs';
import { phpSocket, reloadNginx, removeVhost, vhostText, waitForVhost, writeVhost } from './nginx.mjs';
import { COLOR, fail, info, step } from './output.mjs';
import { fixSitePermissions } from './permissions.mjs';
import { run } from './run.mjs';
import { cacheTypeOf, parseSiteArgs, phpVersionOf, usageError } from './site-args.mjs';
import { findSite, insertSite } from './sitedb.mjs';
import { wpConfigText } from './wpconfig.mjs';

function mkdirs(...dirs) {
  for (const dir of dirs) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
}

function timestamp() {
  return new Date().toISOString().replace('T', ' ').replace('Z', '');
}

export async function siteCreate(config, argv) {
  const { domain, flags, options, ssl } = parseSiteArgs(argv);
  if (!domain) throw usageError('the following arguments are required: site_name');
  if (!flags.has('wp')) throw fail('the wofleet stand-in for wo only creates WordPress sites (--wp)');
  const vhostOnly = flags.has('vhostonly');
  const cacheType = cacheTypeOf(flags) ?? 'basic';
  const phpVersion = phpVersionOf(flags) ?? config.php.defaultVersion;
  const siteRoot = path.join(config.sitesRoot, domain);
  const htdocs = path.join(siteRoot, 'htdocs');

  if (findSite(config.woDatabase, domain) || fs.existsSync(siteRoot)) {
    throw fail(`site ${domain} already exists`); // before any progress line, as WordOps does
  }
  info('Running pre-update checks, please wait...');
  if (!fs.existsSync(phpSocket(config, phpVersion))) {
    throw fail(`PHP ${phpVersion} is not installed: install it with wo stack install --php${phpVersion.replace('.', '')}`);
  }

  info(`Creating ${domain}, please wait...`);
  const db = vhostOnly ? undefined : { ...siteDatabaseNames(domain), dbHost: `${config.mysql.host}:${config.mysql.port}` };
  const admin = { user: options.user ?? 'admin', email: options.email ?? `admin@${domain}`, pass: options.pass ?? randomToken(20) };
  try {
    step('Setting up NGINX configuration', () => {
      mkdirs(htdocs, path.join(siteRoot, 'logs'), path.join(siteRoot, 'conf', 'nginx'));
      writeVhost(config, domain, vhostText(config, domain, siteRoot, phpVersion, cacheType));
    });
    if (db) {
      step('Setting up database', () => createSiteDatabase(config, db));
      step('Downloading WordPress', () =>
        run('tar', ['-xzf', config.wordpressArchive, '-C', htdocs, '--strip-components=1', '--no-same-owner']),
      );
      step('Setting up wp-config.php', () => fs.writeFileSync(path.join(siteRoot, 'wp-config.php'), wpConfigText(db), { mode: 0o644 }));
      step('Installing WordPress', () =>
        run(config.wpBin, [
          `--path=${htdocs}`,
          '--allow-root',
          'core',
          'install',
          `--url=http://${domain}`,
          `--title=${domain}`,
          `--admin_user=${admin.user}`,
          `--admin_password=${admin.pass}`,
          `--admin_email=${admin.email}`,
          '--skip-email',
        ]),
      );
    }
    step('Setting up permissions', () => fixSitePermissions(siteRoot, config.webUser));
    await reloadNginx(config);
    await waitForVhost(config, domain, true);
    insertSite(config.woDatabase, {
      sitename: domain,
      site_type: 'wp',
      cache_type: cacheType,
      site_path: siteRoot,
      created_on: timestamp(),
      is_enabled: true,
      is_ssl: ssl,
      storage_fs: 'ext4',
      storage_db: 'mysql',
      db_name: db?.dbName ?? null,
      db_user: db?.dbUser ?? null,
      db_password: db?.dbPassword ?? null,
      db_host: db?.dbHost ?? null,
      is_hhvm: false,
      php_version: phpVersion,
    });
  } catch (err) {
    // WordOps' doCleanupAction: leave nothing half-made behind.
    removeVhost(config, domain);
    fs.rmSync(siteRoot, { recursive: true, force: true });
    if (db) dropSiteDatabase(config, db.dbName, db.dbUser);
    throw fail(`Oops, something went wrong while creating ${domain}: ${err.message}`);
  }
  info(`${COLOR.green}Successfully created site http://${domain}`);
  if (db) {
    info(`WordPress admin user : ${admin.user}`);
    info(`WordPress admin password : ${admin.pass}`);
  }
}
