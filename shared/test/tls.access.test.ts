import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accessAllows,
  certificateSerial,
  createFleetCa,
  issueCertificate,
  normalizeSerial,
  operatorAccess,
  type FleetCa,
} from '../src/index.js';

let ca: FleetCa;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 365 });
});

describe('operator access levels', () => {
  it.each(['viewer', 'operator'] as const)('an operator certificate issued with access %s carries it', async (access) => {
    const { certPem } = await issueCertificate({ ca, role: 'operator', name: 'alice', access, validDays: 1 });
    expect(operatorAccess(new X509Certificate(certPem))).toBe(access);
    expect(operatorAccess(new X509Certificate(certPem).raw)).toBe(access);
  });

  it('a certificate issued before access levels keeps what every operator had: operator', async () => {
    const { certPem } = await issueCertificate({ ca, role: 'operator', name: 'alice', validDays: 1 });
    expect(operatorAccess(new X509Certificate(certPem))).toBe('operator');
  });

  it('viewer allows only what needs viewer; operator allows both', () => {
    expect(accessAllows('viewer', 'viewer')).toBe(true);
    expect(accessAllows('viewer', 'operator')).toBe(false);
    expect(accessAllows('operator', 'viewer')).toBe(true);
    expect(accessAllows('operator', 'operator')).toBe(true);
  });
});

describe('certificate serials', () => {
  it('are compared as lower-case hex without separators or leading zero bytes', () => {
    expect(normalizeSerial('00:A1:B2')).toBe('a1b2');
    expect(normalizeSerial(' 00A1B2 ')).toBe('a1b2');
    expect(normalizeSerial('00')).toBe('00');
  });

  it('refuses what is not hex', () => {
    expect(() => normalizeSerial('xyz')).toThrow("invalid certificate serial 'xyz'");
  });

  it("is the certificate's own serial, as Node reports it", async () => {
    const { certPem } = await issueCertificate({ ca, role: 'agent', name: 'web-1', validDays: 1 });
    expect(certificateSerial(certPem)).toBe(normalizeSerial(new X509Certificate(certPem).serialNumber));
    expect(certificateSerial(certPem)).toMatch(/^[0-9a-f]{1,40}$/);
  });
});
