import { X509Certificate } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * Certificate serial numbers as the fleet stores and compares them: lower-case hex,
 * no separators, no leading zero bytes. Node prints them upper-case and keeps the 00
 * byte DER adds before a high bit; operators paste them with colons.
 */
export function normalizeSerial(text: string): string {
  const hex = text
    .trim()
    .replaceAll(':', '')
    .toLowerCase()
    .replace(/^(00)+(?=..)/, '');
  if (!/^[0-9a-f]{1,40}$/.test(hex)) throw new UsageError(`invalid certificate serial '${text.slice(0, 60)}': expected hex digits`);
  return hex;
}

export function certificateSerial(cert: X509Certificate | string | Buffer): string {
  return normalizeSerial((cert instanceof X509Certificate ? cert : new X509Certificate(cert)).serialNumber);
}
