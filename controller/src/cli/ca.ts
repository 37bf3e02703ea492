import path from 'node:path';
import type { Command } from 'commander';
import { isOperatorAccess, OPERATOR_ACCESS, UsageError } from '@wofleet/shared';
import { CONTROLLER_CERT_VALID_DAYS } from '../ca/init.js';
import { OPERATOR_CERT_MAX_VALID_DAYS, OPERATOR_CERT_VALID_DAYS } from '../ca/operator.js';
import { resolveStorageSettings } from '../config/controller.js';
import { collect, out } from './output.js';
import { positiveInt } from './args.js';

/** `wofleet ca init | issue-operator | issue-controller`: run on the controller host, where the CA key is. */
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
    .option('--valid-days <n>', `certificate lifetime in days (at most ${OPERATOR_CERT_MAX_VALID_DAYS})`, String(OPERATOR_CERT_VALID_DAYS))
    .option('--access <level>', 'viewer (read only) or operator (read and change the fleet)', OPERATOR_ACCESS.operator)
    .option('--force', 'overwrite an existing certificate and key of that name in DIR')
    .option('--json', 'print the result as JSON')
    .action(
      async (o: { name: string; out: string; dataDir?: string; validDays: string; access: string; force?: boolean }, cmd: Command) => {
        const { dataDir } = resolveStorageSettings({ dataDir: o.dataDir });
        const validDays = positiveInt('--valid-days', o.validDays, OPERATOR_CERT_MAX_VALID_DAYS);
        if (!isOperatorAccess(o.access)) throw new UsageError(`invalid --access '${o.access}': expected viewer or operator`);
        const { issueOperatorCredentials } = await import('../ca/operator.js');
        const r = await issueOperatorCredentials({
          dataDir,
          name: o.name,
          outDir: path.resolve(o.out),
          validDays,
          access: o.access,
          force: o.force === true,
        });
        out(cmd, r, () => [
          `issued operator certificate for ${r.name}, access ${r.access} (valid until ${r.notAfter}, serial ${r.serial})`,
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
      },
    );

  ca.command('issue-controller')
    .description("issue the certificate of another controller of this fleet (role controller), written as that controller's data dir DIR")
    .requiredOption('--name <name>', 'controller name (1-63 lower-case letters, digits or hyphens): spiffe://wofleet/controller/<name>')
    .requiredOption('--out <dir>', "the new controller's data dir: ca.pem, controller.pem, controller.key (0600)")
    .option('--data-dir <dir>', 'this controller data dir, holding the CA (default $WOFLEET_DATA_DIR or /var/lib/wofleet-controller)')
    .option('--dns <name>', 'DNS name agents and operators dial the new controller by (repeatable)', collect, [])
    .option('--ip <address>', 'IP address agents and operators dial the new controller by (repeatable)', collect, [])
    .option('--valid-days <n>', 'certificate lifetime in days', String(CONTROLLER_CERT_VALID_DAYS))
    .option('--force', 'overwrite an existing certificate and key in DIR')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        o: { name: string; out: string; dataDir?: string; dns: string[]; ip: string[]; validDays: string; force?: boolean },
        cmd: Command,
      ) => {
        const { dataDir } = resolveStorageSettings({ dataDir: o.dataDir });
        const validDays = positiveInt('--valid-days', o.validDays, CONTROLLER_CERT_VALID_DAYS);
        const { issueControllerCredentials } = await import('../ca/controller-cert.js');
        const r = await issueControllerCredentials({
          dataDir,
          name: o.name,
          dnsNames: o.dns,
          ipAddresses: o.ip,
          outDir: path.resolve(o.out),
          validDays,
          force: o.force === true,
        });
        out(cmd, r, () => [
          `issued the certificate of controller ${r.name} (valid until ${r.notAfter}, serial ${r.serial}) in ${r.outDir}`,
          `  fingerprint: SHA256 ${r.fingerprint}`,
          `serve it with: wofleet controller serve --data-dir ${r.outDir} (same DATABASE_URL and NATS as this one)`,
          `to let it enroll and renew agents too, copy ${path.join(dataDir, 'ca.key')} into ${r.outDir} (0600)`,
        ]);
      },
    );
}
