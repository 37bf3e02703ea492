import { UsageError } from '../errors.js';
import { generateKey, webCrypto } from './keys.js';
import { validityPeriod } from './validity.js';
import { loadX509 } from './x509-loader.js';

/** The fleet CA: its certificate goes to every agent and controller, its key stays on the controller. */
export interface FleetCa {
  certPem: string;
  keyPem: string;
}

export interface CreateFleetCaOptions {
  commonName: string;
  validDays: number;
  notBefore?: Date;
}

/** A self-signed CA that signs only end-entity certificates (path length 0). */
export async function createFleetCa(options: CreateFleetCaOptions): Promise<FleetCa> {
  const commonName = options.commonName.trim();
  if (!commonName) throw new UsageError('the fleet CA needs a common name');
  const { notBefore, notAfter } = validityPeriod(options);
  const x509 = await loadX509();
  const { keys, keyPem } = await generateKey();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: [{ O: ['wofleet'] }, { CN: [commonName] }],
      keys,
      notBefore,
      notAfter,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webCrypto),
      ],
    },
    webCrypto,
  );
  return { certPem: cert.toString('pem'), keyPem };
}
