/** A PHP single-quoted string literal for `value` (only \ and ' need escaping there). */
export function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The domain pattern the PHP side re-checks: same rule as parseDomain in @wofleet/shared. */
export const PHP_DOMAIN_PATTERN = '(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
