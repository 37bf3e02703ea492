/** A value as it reads back from JSON. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** bigint (int64 fields) has no JSON form; its decimal string is stable and lossless. */
function replaceBigInt(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * The value exactly as the journal will hold it (toJSON applied, undefined
 * dropped), so a record read back after a restart equals the one kept in memory.
 */
export function toJsonValue(value: unknown): JsonValue {
  const text = JSON.stringify(value, replaceBigInt);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key] as JsonValue);
  return sorted;
}

/** One text per meaning: key order does not matter, so two equal requests always compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(toJsonValue(value)));
}
