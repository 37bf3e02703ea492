import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFleetCa, EXIT, issueCertificate, loadTlsMaterial, TlsError, type FleetCa } from '../src/index.js';
import { certificateWithSan, daysFromNow, tempDir, writeTlsFiles } from './tls.fixtures.js';

let ca: FleetCa;
let otherCa: FleetCa;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 365 });
  otherCa = await createFleetCa({ commonName: 'Other CA', validDays: 365 });
});

async function agentFiles(options: { validDays?: number; notBefore?: Date; by?: FleetCa } = {}) {
  const issued = await issueCertificate({
    ca: options.by ?? ca,
    role: 'agent',
    name: 'web1',
    validDays: options.validDays ?? 30,
    notBefore: options.notBefore,
  });
  return writeTlsFiles({ caPem: ca.certPem, ...issued });
}

describe('loadTlsMaterial', () => {
  it('returns the PEMs and who the certificate says we are', async () => {
    const files = await agentFiles();
    const material = await loadTlsMaterial(files);
    expect(material.caPem).toBe(ca.certPem);
    expect(material.certPem).toContain('BEGIN CERTIFICATE');
    expect(material.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(material.identity).toMatchObject({ role: 'agent', name: 'web1', uri: 'spiffe://wofleet/agent/web1' });
    expect(material.identity.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(material.identity.notAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it('reads the validity dates to the second, on both sides of 2050 (UTCTime and GeneralizedTime)', async () => {
    const notBefore = new Date(Math.floor(daysFromNow(-1).getTime() / 1000) * 1000);
    const files = await agentFiles({ notBefore, validDays: 9000 });
    const material = await loadTlsMaterial(files);
    expect(material.identity.notBefore.toISOString()).toBe(notBefore.toISOString());
    expect(material.identity.notAfter.toISOString()).toBe(new Date(notBefore.getTime() + 9000 * 86_400_000).toISOString());
    expect(material.identity.notAfter.getUTCFullYear()).toBeGreaterThan(2050);
  });

  it("is a usage error (exit 2): the files are the operator's to fix", async () => {
    const error = await loadTlsMaterial({ caFile: '/nonexistent/ca.pem', certFile: '/x', keyFile: '/y' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TlsError);
    expect((error as TlsError).exitCode).toBe(EXIT.usage);
  });

  it('names a missing file', async () => {
    const files = await agentFiles();
    await expect(loadTlsMaterial({ ...files, keyFile: '/nonexistent/key.pem' })).rejects.toThrow(
      'private key file /nonexistent/key.pem does not exist',
    );
  });

  it('refuses a file that is not PEM', async () => {
    const files = await agentFiles();
    await writeFile(files.certFile, 'hello\n');
    await expect(loadTlsMaterial(files)).rejects.toThrow(`${files.certFile} is not PEM`);
  });

  it("refuses a key in the certificate's place and a certificate in the key's", async () => {
    const files = await agentFiles();
    await expect(loadTlsMaterial({ ...files, certFile: files.keyFile })).rejects.toThrow('is not a PEM certificate');
    await expect(loadTlsMaterial({ ...files, keyFile: files.certFile })).rejects.toThrow('is not a PEM private key');
  });

  it("refuses a key that is not the certificate's", async () => {
    const files = await agentFiles();
    const other = await issueCertificate({ ca, role: 'agent', name: 'web1', validDays: 30 });
    await writeFile(files.keyFile, other.keyPem);
    await expect(loadTlsMaterial(files)).rejects.toThrow('key does not match certificate');
  });

  it('refuses an expired certificate, saying when it expired', async () => {
    const files = await agentFiles({ notBefore: daysFromNow(-10), validDays: 1 });
    await expect(loadTlsMaterial(files)).rejects.toThrow(/certificate expired on \d{4}-\d\d-\d\dT/);
  });

  it('refuses a certificate not yet valid, saying from when', async () => {
    const files = await agentFiles({ notBefore: daysFromNow(2), validDays: 30 });
    await expect(loadTlsMaterial(files)).rejects.toThrow(/certificate not valid before \d{4}-\d\d-\d\dT/);
  });

  it('checks validity against the clock it is given', async () => {
    const files = await agentFiles({ validDays: 30 });
    await expect(loadTlsMaterial(files, { now: daysFromNow(31) })).rejects.toThrow(/expired on/);
  });

  it('refuses a certificate issued by another CA', async () => {
    const files = await agentFiles({ by: otherCa });
    await expect(loadTlsMaterial(files)).rejects.toThrow('not issued by the fleet CA');
  });

  it('refuses a CA file that holds no CA certificate', async () => {
    const files = await agentFiles();
    await expect(loadTlsMaterial({ ...files, caFile: files.certFile })).rejects.toThrow('is not a CA certificate');
  });

  it('refuses a certificate without a wofleet role', async () => {
    const odd = await certificateWithSan(ca, [{ type: 'dns', value: 'web1.example.com' }]);
    const files = await writeTlsFiles({ caPem: ca.certPem, ...odd });
    await expect(loadTlsMaterial(files)).rejects.toThrow('has no wofleet role');
  });

  it('refuses a certificate marked with another role than expected', async () => {
    const files = await agentFiles();
    await expect(loadTlsMaterial(files, { expectRole: 'controller' })).rejects.toThrow('is marked agent, expected controller');
  });

  it('reports an unreadable path with its error code', async () => {
    const dir = await tempDir();
    const files = await agentFiles();
    await expect(loadTlsMaterial({ ...files, caFile: path.join(dir) })).rejects.toThrow(/cannot read CA certificate file .*EISDIR/);
  });
});
