import { FLEET_ROLE, loadTlsMaterial, StateError, type TlsFiles } from '@wofleet/shared';
import { connectToController } from '../certificates/controller-calls.js';
import { readEnrollmentRecord } from '../certificates/credential-files.js';
import type { PackageSource } from './store.js';

/**
 * Packages from the controller this agent renews its certificate with (config
 * `controller.address`, else the one it enrolled with), over mutual TLS with the
 * agent's current certificate.
 */
export function controllerPackageSource(options: {
  files: TlsFiles;
  stateDir: string;
  controllerAddress: string | undefined;
  isRevoked: (serial: string) => boolean;
}): PackageSource {
  return async function* fetchFromController(version) {
    const controller = options.controllerAddress ?? (await readEnrollmentRecord(options.stateDir))?.controller;
    if (!controller)
      throw new StateError('no controller address (controller.address in the config, or enroll again): cannot fetch packages');
    const tls = await loadTlsMaterial(options.files, { expectRole: FLEET_ROLE.agent });
    const calls = connectToController(controller, tls, options.isRevoked);
    try {
      yield* calls.fetchAgentPackage(version);
    } finally {
      calls.close();
    }
  };
}
