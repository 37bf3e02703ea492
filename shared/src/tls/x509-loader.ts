import type * as X509 from '@peculiar/x509';

let loading: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509 on first use. Only issuing (CA, CSR, certificates) needs it; loading
 * and checking TLS files works with node:crypto alone, so the agent daemon, which only
 * loads its own certificate, never pays the ~3 MiB of heap and ~6 MiB RSS it costs.
 */
export function loadX509(): Promise<typeof X509> {
  loading ??= import('./x509.js').then((m) => m.x509);
  return loading;
}
