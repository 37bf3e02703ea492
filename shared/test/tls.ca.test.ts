import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFleetCa, UsageError } from '../src/index.js';
import { x509 } from '../src/tls/x509.js';
import { DAY_MS } from './tls.fixtures.js';

describe('createFleetCa', () => {
  it('makes a self-signed CA certificate that may sign certificates', async () => {
    const ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 3650 });
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=Fleet CA');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
    const parsed = new x509.X509Certificate(ca.certPem);
    const usages = parsed.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    expect(usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(parsed.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, pathLength: 0, critical: true });
  });

  it('is valid for validDays from notBefore', async () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 10, notBefore });
    const parsed = new x509.X509Certificate(ca.certPem);
    expect(parsed.notBefore.toISOString()).toBe(notBefore.toISOString());
    expect(parsed.notAfter.getTime() - notBefore.getTime()).toBe(10 * DAY_MS);
  });

  it('starts a few minutes in the past so peers with a lagging clock accept it', async () => {
    const ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 1 });
    const lead = Date.now() - new x509.X509Certificate(ca.certPem).notBefore.getTime();
    expect(lead).toBeGreaterThan(60_000);
    expect(lead).toBeLessThan(10 * 60_000);
  });

  it('refuses an empty common name and a validity that is not a whole number of days', async () => {
    await expect(createFleetCa({ commonName: ' ', validDays: 1 })).rejects.toThrow(UsageError);
    await expect(createFleetCa({ commonName: 'CA', validDays: 0 })).rejects.toThrow(/validDays/);
    await expect(createFleetCa({ commonName: 'CA', validDays: 1.5 })).rejects.toThrow(/validDays/);
  });
});
