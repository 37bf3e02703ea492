import type { Command } from 'commander';
import { normalizeSerial, UsageError } from '@wofleet/shared';
import { parseServerName } from '../servers/input.js';
import { withController } from './connect.js';
import { out } from './output.js';
import { renderCertificates } from './certificate-render.js';

/** `wofleet certs list | revoke`: the certificates of the fleet CA and the revocation list. */
export function registerCertCommands(program: Command): void {
  const certs = program.command('certs').description('certificates of the fleet: list them, revoke them');

  certs
    .command('list')
    .description(
      'every certificate the controller knows of (agents: all it issued; operators and controllers: once used), with expiry and revocation',
    )
    .option('--json', 'print as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await withController(cmd, (api) => api.listCertificates());
      out(cmd, r.certificates, () => renderCertificates(r.certificates, new Date()));
    });

  certs
    .command('revoke [serial]')
    .description(
      'revoke a certificate by serial, or every certificate of a server (--server); refused at once by the controller, by agents on their next check',
    )
    .option(
      '--server <name>',
      "revoke every unrevoked certificate of this server's agent (it must re-enroll: 'wofleet servers token NAME')",
    )
    .option('--reason <text>', 'why, for the record (e.g. keyCompromise, superseded)', 'unspecified')
    .option('--json', 'print the result as JSON')
    .action(async (serialArg: string | undefined, o: { server?: string; reason: string }, cmd: Command) => {
      if ((serialArg === undefined) === (o.server === undefined))
        throw new UsageError('name a certificate serial or --server NAME (one of them)');
      const request =
        serialArg !== undefined
          ? { serial: normalizeSerial(serialArg), reason: o.reason }
          : { server: parseServerName(o.server ?? ''), reason: o.reason };
      const r = await withController(cmd, (api) => api.revokeCertificate(request));
      out(cmd, { revoked: r.revokedSerials }, () =>
        r.revokedSerials.length ? r.revokedSerials.map((s) => `revoked ${s}`) : ['already revoked: nothing changed'],
      );
    });
}
