import { HealthCheckError } from '@wofleet/shared';
import type { Layout } from '../config/paths.js';
import { listFpmSockets } from './opcache.js';
import { resetOpcache } from './opcache.js';

/** PHP-FPM as the agent uses it: reset every pool's opcache after a switch. */
export interface FpmControl {
  sockets(): Promise<string[]>;
  resetAll(): Promise<string[]>;
}

/**
 * An opcache reset inside each FPM master (through its FastCGI socket, as cachetool
 * does) drops compiled scripts, and each worker then clears its realpath cache on
 * its next request (DESIGN §5.2). A reload would do it too but aborts in-flight
 * requests; this does not.
 */
export function createFpmControl(layout: Layout, socketDir: string, timeoutMs: number): FpmControl {
  const sockets = () => listFpmSockets(socketDir);
  return {
    sockets,
    async resetAll() {
      const found = await sockets();
      const failures: string[] = [];
      // One pool at a time, each tried twice: on a real WordOps server (two pools in one FPM
      // master, resets sent at once) a pool's reset request sometimes went unanswered, cause
      // not found; a second request reaches another worker.
      for (const socket of found) {
        const attempt = () => resetOpcache(socket, layout.opcacheResetScript, Math.ceil(timeoutMs / 2));
        try {
          await attempt().catch(attempt);
        } catch (err) {
          failures.push(`${socket}: ${(err as Error).message}`);
        }
      }
      if (failures.length > 0) throw new HealthCheckError(`opcache reset failed: ${failures.join('; ')}`);
      return found;
    },
  };
}
