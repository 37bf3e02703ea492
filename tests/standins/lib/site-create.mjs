// `wo site create D [--wp] [cache] [--phpNN] [-le] [--vhostonly] [--user U --pass P --email E]`,
// printing what WordOps 3.22 prints (realwo/outputs/01, 04, 06, 07, 08, 18).
import fs from 'node:fs';
import path from 'node:path';
import { madeUp } from './made-up.mjs';
import { createSiteDatabase, dropSiteDatabase, siteDatabaseNames } from './mariadb.mjs';
import { NginxTestFailed, preRunChecks, testAndReloadNginx } from './nginx-reload.mjs';
import { phpSocket, removeVhost, vhostText, waitForVhost, writeVhost } from './nginx.mjs';
import { crashOnDownloadCleanup, DownloadFailed } from './download-crash.mjs';
import { COLOR, doneStep, fail, info, infoFailure, waitStep } from './output.mjs';
import { fixSitePermissions } from './permissions.mjs';
import { failPhpInstall } from './php-install.mjs';
import { run } from './run.mjs';
import { cacheTypeOf, parseSiteArgs, phpVersionOf, usageError } from './site-args.mjs';
import { deleteSite, findSite, insertSite, updateSite } from './sitedb.mjs';
import { wpConfigText } from './wpconfig.mjs';

/**
 * WordOps' default WordPress admin: the operator's git identity, which WordOps asks for at
 * install; here the identity of the recorded environment (realwo/build.sh).
 */
const OPERATOR = { user: 'WordOps', email: 'root@wohost.local' };

function mkdirs(...dirs) {
  for (const dir of dirs) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
}

function timestamp() {
  return new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

export async function siteCreate(config, argv) {
  const { domain, flags, options, ssl } = parseSiteArgs(argv);
  if (!domain) throw usageError('the following arguments are required: site_name');
  const cacheType = cacheTypeOf(flags) ?? 'basic';
  // Each cache flag implies --wp in WordOps.
  if (!flags.has('wp') && cacheType === 'basic') throw fail('the wofleet stand-in for wo only creates WordPress sites (--wp)');
  const vhostOnly = flags.has('vhostonly');
  const phpVersion = phpVersionOf(flags) ?? config.php.defaultVersion;
  const siteRoot = path.join(config.sitesRoot, domain);
  const htdocs = path.join(siteRoot, 'htdocs');

  if (findSite(config.woDatabase, domain) || fs.existsSync(siteRoot)) {
    throw fail(`site ${domain} already exists`); // before any progress line, as WordOps does
  }
  if (!fs.existsSync(phpSocket(config, phpVersion))) throw failPhpInstall();
  preRunChecks(config);

  const db = vhostOnly ? undefined : { ...siteDatabaseNames(config, domain), dbHost: `${config.mysql.host}:${config.mysql.port}` };
  const admin = {
    user: options.user ?? OPERATOR.user,
    email: options.email ?? OPERATOR.email,
    pass: options.pass ?? madeUp(config, 'adminPassword'),
  };
  try {
    doneStep('Setting up NGINX configuration \t', () =>
      writeVhost(config, domain, vhostText(config, domain, siteRoot, phpVersion, cacheType)),
    );
    doneStep('Setting up webroot \t\t', () => mkdirs(htdocs, path.join(siteRoot, 'logs'), path.join(siteRoot, 'conf', 'nginx')));
    // WordOps' addNewSite: the row comes before WordPress, its database fields after.
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
      is_hhvm: false,
      php_version: phpVersion,
    });
    if (db) {
      doneStep('Downloading WordPress \t\t', () => {
        try {
          run('tar', ['-xzf', config.wordpressArchive, '-C', htdocs, '--strip-components=1', '--no-same-owner']);
        } catch (err) {
          throw new DownloadFailed(err.message);
        }
      });
      doneStep('Setting up database\t\t', () => Object.assign(db, createSiteDatabase(config, db)));
      waitStep('Configuring WordPress', () => fs.writeFileSync(path.join(siteRoot, 'wp-config.php'), wpConfigText(db), { mode: 0o644 }));
      waitStep('Installing WordPress', () =>
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
      // Offline, like the recorded runs: WordOps' `wp plugin install` fails there, yet it
      // prints [OK] and the site comes up without the plugin. The stand-in installs none.
      waitStep('Installing plugin nginx-helper');
      if (cacheType === 'wpfc' || cacheType === 'wpredis') waitStep('Setting plugin nginx-helper');
      if (cacheType === 'wpredis') waitStep('Installing plugin redis-cache');
      updateSite(config.woDatabase, domain, { db_name: db.dbName, db_user: db.dbUser, db_password: db.dbPassword, db_host: db.dbHost });
    }
    fixSitePermissions(siteRoot, config.webUser);
    await testAndReloadNginx(config);
    await waitForVhost(config, domain, true);
  } catch (err) {
    infoFailure('There was a serious error encountered...');
    infoFailure('Cleaning up afterwards...');
    if (err instanceof DownloadFailed) throw crashOnDownloadCleanup();
    // WordOps' doCleanupAction: leave nothing half-made behind, then test and reload nginx.
    deleteSite(config.woDatabase, domain);
    removeVhost(config, domain);
    fs.rmSync(siteRoot, { recursive: true, force: true });
    if (db) dropSiteDatabase(config, db.dbName, db.dbUser);
    await testAndReloadNginx(config);
    infoFailure(
      err instanceof NginxTestFailed
        ? 'service nginx reload failed. check issues with `nginx -t` command.'
        : `Oops, something went wrong while creating ${domain}: ${err.message}`,
    );
    throw fail('Check the log for details: `tail /var/log/wo/wordops.log` and please try again');
  }
  if (db) {
    info(`${COLOR.end}WordPress admin user : ${admin.user}`);
    info(`${COLOR.end}WordPress admin password : ${admin.pass}`);
  }
  if (cacheType === 'wpfc' || cacheType === 'wpredis') {
    info(`Nginx-Helper configuration :\thttp://${domain}/wp-admin/options-general.php?page=nginx`);
  }
  info(`Successfully created site http://${domain}`);
}
