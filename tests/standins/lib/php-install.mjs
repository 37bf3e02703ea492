// A PHP version whose FPM is not running: WordOps runs apt to install it, which fails
// offline, as in the recorded `wo site update D --php83` (realwo/outputs/12): exit 1.
import { fail, failed, info, valide, wait } from './output.mjs';

export function failPhpInstall() {
  failed('Start : wo-kernel');
  info('Adding repository for PHP, please wait...');
  wait('Updating apt-cache');
  valide('Updating apt-cache');
  wait('Installing APT packages');
  info(`\x1b[91mOops Something went wrong!!`);
  return fail('Check the WordOps log for more details `tail /var/log/wo/wordops.log` and please try again...');
}
