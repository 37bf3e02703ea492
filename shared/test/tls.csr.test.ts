import { createPrivateKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCsr, createFleetCa, issueFromCsr, peerIdentity, TlsError, type FleetCa } from '../src/index.js';
import { x509 } from '../src/tls/x509.js';

let ca: FleetCa;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 365 });
});

describe('createCsr', () => {
  it('makes a signed request carrying the requested role URI and names', async () => {
    const { csrPem, keyPem } = await createCsr({ role: 'agent', name: 'web1', dnsNames: ['web1.example.com'], ipAddresses: ['10.0.0.5'] });
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    const san = csr.extensions.find((e) => e instanceof x509.SubjectAlternativeNameExtension);
    expect(san?.names.toJSON()).toEqual([
      { type: 'url', value: 'spiffe://wofleet/agent/web1' },
      { type: 'dns', value: 'web1.example.com' },
      { type: 'ip', value: '10.0.0.5' },
    ]);
    expect(createPrivateKey(keyPem).asymmetricKeyType).toBe('ec');
  });
});

describe('issueFromCsr', () => {
  it("certifies the requester's key under the role and name from the issuer's records", async () => {
    const { csrPem, keyPem } = await createCsr({ role: 'controller', name: 'evil', dnsNames: ['controller.example.com'] });
    const { certPem } = await issueFromCsr(ca, csrPem, { role: 'agent', name: 'web1', validDays: 30 });
    expect(peerIdentity(certPem)).toEqual({ role: 'agent', name: 'web1' });
    const cert = new X509Certificate(certPem);
    expect(cert.subjectAltName).toBe('URI:spiffe://wofleet/agent/web1');
    expect(cert.subject).not.toContain('evil');
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });

  it('uses the DNS names and IP addresses the issuer gives', async () => {
    const { csrPem } = await createCsr({ role: 'agent', name: 'web1', dnsNames: ['elsewhere.example.com'] });
    const { certPem } = await issueFromCsr(ca, csrPem, { role: 'agent', name: 'web1', ipAddresses: ['10.0.0.5'], validDays: 30 });
    expect(new X509Certificate(certPem).subjectAltName).toBe('URI:spiffe://wofleet/agent/web1, IP Address:10.0.0.5');
  });

  it('refuses a request whose signature does not verify', async () => {
    const { csrPem } = await createCsr({ role: 'agent', name: 'web1' });
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).rawData);
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff;
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    await expect(issueFromCsr(ca, tampered, { role: 'agent', name: 'web1', validDays: 30 })).rejects.toThrow(TlsError);
  });

  it('refuses something that is not a certificate request', async () => {
    await expect(issueFromCsr(ca, 'hello', { role: 'agent', name: 'web1', validDays: 30 })).rejects.toThrow(
      /not a PEM certificate request/,
    );
  });
});
