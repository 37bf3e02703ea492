import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFleetCa, issueCertificate, peerIdentity, TlsError, UsageError, type FleetCa } from '../src/index.js';
import { x509 } from '../src/tls/x509.js';
import { DAY_MS, daysFromNow } from './tls.fixtures.js';

let ca: FleetCa;
let otherCa: FleetCa;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 365 });
  otherCa = await createFleetCa({ commonName: 'Other CA', validDays: 365 });
});

describe('issueCertificate', () => {
  it('marks an agent certificate with spiffe://wofleet/agent/<name>', async () => {
    const { certPem } = await issueCertificate({ ca, role: 'agent', name: 'web1', validDays: 30 });
    expect(new X509Certificate(certPem).subjectAltName).toBe('URI:spiffe://wofleet/agent/web1');
    expect(peerIdentity(certPem)).toEqual({ role: 'agent', name: 'web1' });
  });

  it('marks a controller certificate with spiffe://wofleet/controller/<name>', async () => {
    const { certPem } = await issueCertificate({ ca, role: 'controller', name: 'ctl-1', validDays: 30 });
    expect(peerIdentity(certPem)).toEqual({ role: 'controller', name: 'ctl-1' });
  });

  it('is signed by the CA and usable on both ends of TLS', async () => {
    const { certPem } = await issueCertificate({ ca, role: 'agent', name: 'web1', validDays: 30 });
    const cert = new X509Certificate(certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
  });

  it('returns a new private key that matches the certificate', async () => {
    const { certPem, keyPem } = await issueCertificate({ ca, role: 'agent', name: 'web1', validDays: 30 });
    expect(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
  });

  it('adds the DNS names and IP addresses peers dial after the role URI', async () => {
    const { certPem } = await issueCertificate({
      ca,
      role: 'agent',
      name: 'web1',
      dnsNames: ['web1.example.com'],
      ipAddresses: ['10.0.0.5', '::1'],
      validDays: 30,
    });
    expect(new X509Certificate(certPem).subjectAltName).toBe(
      'URI:spiffe://wofleet/agent/web1, DNS:web1.example.com, IP Address:10.0.0.5, IP Address:0:0:0:0:0:0:0:1',
    );
  });

  it('certifies a given public key and then returns no private key', async () => {
    const keyPem = String(
      createPrivateKey((await issueCertificate({ ca, role: 'agent', name: 'x', validDays: 1 })).keyPem).export({
        type: 'pkcs8',
        format: 'pem',
      }),
    );
    const publicKeyPem = String(createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }));
    const issued = await issueCertificate({ ca, role: 'agent', name: 'web2', validDays: 30, publicKeyPem });
    expect(issued).not.toHaveProperty('keyPem');
    expect(new X509Certificate(issued.certPem).checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
  });

  it('takes notBefore as given, to make expired or not-yet-valid certificates', async () => {
    const notBefore = daysFromNow(-10);
    const { certPem } = await issueCertificate({ ca, role: 'agent', name: 'old', validDays: 2, notBefore });
    const parsed = new x509.X509Certificate(certPem);
    expect(parsed.notBefore.getTime()).toBe(Math.floor(notBefore.getTime() / 1000) * 1000);
    expect(parsed.notAfter.getTime() - parsed.notBefore.getTime()).toBe(2 * DAY_MS);
  });

  it('refuses names that cannot be a server id or controller name', async () => {
    for (const name of ['', 'Web1', 'web_1', '-web', 'a'.repeat(64), 'web/1']) {
      await expect(issueCertificate({ ca, role: 'agent', name, validDays: 1 })).rejects.toThrow(UsageError);
    }
  });

  it('refuses invalid DNS names and IP addresses', async () => {
    await expect(issueCertificate({ ca, role: 'agent', name: 'w', dnsNames: ['bad name'], validDays: 1 })).rejects.toThrow(
      /invalid DNS name/,
    );
    await expect(issueCertificate({ ca, role: 'agent', name: 'w', ipAddresses: ['300.1.1.1'], validDays: 1 })).rejects.toThrow(
      /invalid IP address/,
    );
  });

  it("refuses a CA key that is not the CA certificate's", async () => {
    const mixed = { certPem: ca.certPem, keyPem: otherCa.keyPem };
    await expect(issueCertificate({ ca: mixed, role: 'agent', name: 'w', validDays: 1 })).rejects.toThrow(TlsError);
    await expect(issueCertificate({ ca: mixed, role: 'agent', name: 'w', validDays: 1 })).rejects.toThrow(
      /does not match the CA certificate/,
    );
  });

  it('refuses to sign with a certificate that is not a CA', async () => {
    const leaf = await issueCertificate({ ca, role: 'agent', name: 'w', validDays: 1 });
    await expect(issueCertificate({ ca: leaf, role: 'agent', name: 'w2', validDays: 1 })).rejects.toThrow(/not a CA certificate/);
  });
});
