// WordOps' WOService.reload_service('nginx'): `nginx -t`, then the reload, each drawn as a
// Log.wait line overwritten by Log.valide.
import { nginxConfigOk, reloadNginx } from './nginx.mjs';
import { fail, valide, wait } from './output.mjs';

/** `nginx -t` refused the configuration: WordOps stops before reloading. */
export class NginxTestFailed extends Error {
  constructor() {
    super('nginx -t failed');
  }
}

export async function testAndReloadNginx(config) {
  wait('Testing Nginx configuration');
  if (!nginxConfigOk(config)) throw new NginxTestFailed();
  valide('Testing Nginx configuration');
  wait('Reloading Nginx');
  await reloadNginx(config);
  valide('Reloading Nginx');
}

/** WordOps' pre_run_checks: `nginx -t` (its two labels differ, as WordOps prints them). */
export function preRunChecks(config) {
  wait('Running pre-run checks');
  if (!nginxConfigOk(config)) throw fail('NGINX configuration check failed.');
  valide('Running pre-update checks');
}
