import { createCsr, describeError, FLEET_ROLE, loadTlsMaterial, type Logger, type TlsFiles, type TlsMaterial } from '@wofleet/shared';
import { connectToController } from './controller-calls.js';
import { readEnrollmentRecord, replaceCredentials } from './credential-files.js';
import { checkIssuedCertificate } from './issued-check.js';
import type { RevocationList } from './revocation-list.js';
import { needsRenewal } from './renewal-window.js';

/**
 * The daemon's certificate upkeep, at start and every `intervalMs`: fetch the
 * revocation list, and renew the certificate once it is in its renewal window
 * (renewal-window.ts). Renewal makes a new key here, sends only a CSR over mutual TLS
 * with the current certificate, checks what comes back, replaces key and certificate
 * as a pair (credential-files.ts), then hands the new material to the gRPC server
 * (as it does with a certificate `enroll --force` replaced on disk).
 * A failed check is logged and tried again at the next one; the current certificate
 * keeps serving meanwhile.
 */
export interface CertificateUpkeepOptions {
  serverId: string;
  files: TlsFiles;
  stateDir: string;
  /** From the config; default: the controller the agent enrolled with. */
  controllerAddress: string | undefined;
  intervalMs: number;
  revocations: RevocationList;
  /** SHA-256 (AB:CD:...) of the certificate the gRPC server started with. */
  servedFingerprint: string;
  /** The renewed (or re-enrolled) certificate is on disk: serve it. */
  onRenewed(tls: TlsMaterial): void;
  log: Logger;
}

export interface CertificateUpkeep {
  /** The check in progress, or a new one. */
  checkNow(): Promise<void>;
  stop(): void;
}

export function startCertificateUpkeep(options: CertificateUpkeepOptions): CertificateUpkeep {
  const log = options.log.child({ component: 'certificates' });
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let served = options.servedFingerprint;
  const serve = (material: TlsMaterial) => {
    options.onRenewed(material);
    served = material.identity.fingerprint;
  };

  const check = async () => {
    const current = await loadTlsMaterial(options.files, { expectRole: FLEET_ROLE.agent });
    // `enroll --force` while the daemon runs: serve what is on disk (the controller pins it now).
    if (current.identity.fingerprint !== served) serve(current);
    const controller = options.controllerAddress ?? (await readEnrollmentRecord(options.stateDir))?.controller;
    if (!controller) {
      log.warn(
        'no controller address (controller.address in the config, or enroll again): cannot renew the certificate or fetch revocations',
      );
      return;
    }
    const calls = connectToController(controller, current, options.revocations.isRevoked);
    try {
      await options.revocations.replace(await calls.listRevocations());
      if (!needsRenewal(current.identity, new Date())) return;
      log.info({ notAfter: current.identity.notAfter.toISOString() }, 'renewing the agent certificate');
      const { csrPem, keyPem } = await createCsr({ role: FLEET_ROLE.agent, name: options.serverId });
      const renewed = await calls.renewCertificate(csrPem);
      checkIssuedCertificate(renewed, { caPem: current.caPem, keyPem, serverId: options.serverId });
      await replaceCredentials(options.files, { certPem: renewed.certificatePem, keyPem });
      const material = await loadTlsMaterial(options.files, { expectRole: FLEET_ROLE.agent });
      serve(material);
      await options.revocations.replace(renewed.revokedSerials);
      log.info(
        { notAfter: material.identity.notAfter.toISOString(), fingerprint: material.identity.fingerprint },
        'agent certificate renewed',
      );
    } finally {
      calls.close();
    }
  };

  const checkNow = () =>
    (running ??= check()
      .catch((err: unknown) => log.warn({ err: describeError(err) }, 'certificate check failed; trying again at the next one'))
      .finally(() => {
        running = undefined;
      }));

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void checkNow().finally(schedule), options.intervalMs);
    timer.unref();
  };
  void checkNow().finally(schedule);

  return {
    checkNow,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
