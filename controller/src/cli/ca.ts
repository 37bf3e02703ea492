import path from 'node:path';
import type { Command } from 'commander';
import { resolveStorageSettings } from '../config/controller.js';
import { collect, out } from './output.js';
import { positiveInt } from './args.js';

/** `wofleet ca init | issue-operator`: run on the controller host, where the CA key is. */
export function registerCaCommands(program: Command): void {
  const ca = program.command('ca').description('the fleet CA: create it, issue operator certificates (on the controller host)');

  ca.command('init')
    .description('create the fleet CA and the controller certificate in the data dir; prints the CA fingerprint agents pin')
    .option('--data-dir <dir>', 'controller data dir (default $WOFLEET_DATA_DIR or /var/lib/wofleet-controller)')
    .option('--name <name>', 'controller name: its certificate says spiffe://wofleet/controller/<name>', 'ctl-1')
    .option('--dns <name>', 'DNS name agents and operators dial the controller by (repeatable)', collect, [])
    .option('--ip <address>', 'IP address agents and operators dial the controller by (repeatable)', collect, [])
    .option('--force', 'replace an existing CA (every enrolled agent must enroll again)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { dataDir?: string; name: string; dns: string[]; ip: string[]; force?: boolean }, cmd: Command) => {
      const { dataDir } = resolveStorageSettings({ dataDir: o.dataDir });
      const { initFleetCa } = await import('../ca/init.js');
      const r = await initFleetCa({ dataDir, name: o.name, dnsNames: o.dns, ipAddresses: o.ip, force: o.force === true });
      out(cmd, r, () => [
        `${r.replaced ? 'replaced' : 'created'} the fleet CA and the certificate of controller ${r.controllerName} in ${r.dataDir}`,
        `  CA certificate:          ${r.files.caCert}`,
        `  CA fingerprint:          SHA256 ${r.caFingerprint}`,
        `  controller certificate:  ${r.files.cert}`,
        `  controller fingerprint:  SHA256 ${r.controllerFingerprint}`,
        `agents pin the CA when they enroll: wofleet-agent enroll ... --ca-fingerprint ${r.caFingerprint}`,
        `operators: wofleet ca issue-operator --name NAME --out DIR`,
      ]);
    });

  ca.command('issue-operator')
    .description('issue an operator certificate for the wofleet CLI (role operator), written with the CA certificate to DIR')
    .requiredOption('--name <name>', 'operator name (1-63 lower-case letters, digits or hyphens); audit events say operator:<name>')
    .requiredOption('--out <dir>', 'directory for ca.pem, <name>.pem and <name>.key (0600)')
    .option('--data-dir <dir>', 'controller data dir (default $WOFLEET_DATA_DIR or /var/lib/wofleet-controller)')
    .option('--valid-days <n>', 'certificate lifetime in days', '365')
    .option('--force', 'overwrite an existing certificate and key of that name in DIR')
    .option('--json', 'print the result as JSON')
    .action(async (o: { name: string; out: string; dataDir?: string; validDays: string; force?: boolean }, cmd: Command) => {
      const { dataDir } = resolveStorageSettings({ dataDir: o.dataDir });
      const validDays = positiveInt('--valid-days', o.validDays, 3650);
      const { issueOperatorCredentials } = await import('../ca/operator.js');
      const r = await issueOperatorCredentials({ dataDir, name: o.name, outDir: path.resolve(o.out), validDays, force: o.force === true });
      out(cmd, r, () => [
        `issued operator certificate for ${r.name} (valid until ${r.notAfter})`,
        `  certificate: ${r.certFile}`,
        `  key:         ${r.keyFile}`,
        `  fleet CA:    ${r.caFile}`,
        `  fingerprint: SHA256 ${r.fingerprint}`,
        'use it with --ca/--cert/--key, WOFLEET_CA/WOFLEET_CERT/WOFLEET_KEY, or ~/.config/wofleet/config.yaml:',
        `  controller: HOST:7444`,
        `  ca: ${r.caFile}`,
        `  cert: ${r.certFile}`,
        `  key: ${r.keyFile}`,
      ]);
    });
}
