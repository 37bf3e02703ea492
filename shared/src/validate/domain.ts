import { UsageError } from '../errors.js';
import { printable } from './text.js';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A site domain as WordOps accepts it, normalised to lower case (DNS names are
 * case-insensitive, and WordOps keys sites by the lower-case name). Refuses
 * anything that could escape a path or reach a shell: only [a-z0-9.-], at least
 * two labels, 253 characters at most, no leading '-'.
 */
export function parseDomain(input: string): string {
  const raw = input.trim();
  if (raw === '') throw new UsageError('invalid domain: empty');
  const domain = raw.toLowerCase().replace(/\.$/, '');
  if (domain.length > 253) throw new UsageError(`invalid domain: ${domain.length} characters (253 at most)`);
  if (!/^[a-z0-9.-]+$/.test(domain)) {
    throw new UsageError(`invalid domain '${printable(raw)}': only letters, digits, '-' and '.' are allowed`);
  }
  const labels = domain.split('.');
  if (labels.length < 2) throw new UsageError(`invalid domain '${printable(raw)}': needs at least two labels (example.com)`);
  for (const label of labels) {
    if (!LABEL.test(label)) {
      throw new UsageError(
        `invalid domain '${printable(raw)}': label '${label}' must be 1-63 letters/digits/hyphens, not starting or ending with '-'`,
      );
    }
  }
  return domain;
}

/** The normalised domain, or undefined where parseDomain would refuse the name. */
export function domainOrUndefined(input: string): string | undefined {
  try {
    return parseDomain(input);
  } catch {
    return undefined;
  }
}
