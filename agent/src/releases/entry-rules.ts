/**
 * The safe-extraction rules of DESIGN 5.7 as pure functions over a tar entry's
 * type and path. The extractor asks `checkEntry` about every entry before it reads
 * a byte of its body; a rejection names the entry and the rule it broke.
 */

/** The single top directory every WordPress archive holds. */
export const ARCHIVE_TOP_DIR = 'wordpress';

export const ENTRY_RULE = {
  absolutePath: 'absolute path',
  parentSegment: "'..' path segment",
  oddSegment: "empty or '.' path segment",
  controlCharacter: 'control character in path',
  outsideTopDir: `outside the top directory ${ARCHIVE_TOP_DIR}/`,
  symlink: 'symlink',
  hardlink: 'hardlink',
  device: 'device file',
  fifo: 'fifo',
  unsupportedType: 'unsupported entry type',
  duplicate: 'duplicate entry',
  underFile: 'path goes through a file',
} as const;
export type EntryRule = (typeof ENTRY_RULE)[keyof typeof ENTRY_RULE];

export type EntryKind = 'file' | 'directory';

export type EntryVerdict =
  | { ok: true; kind: EntryKind /** path below the top dir; '' for the top dir itself */; relative: string }
  | { ok: false; rule: EntryRule; detail?: string };

/** node-tar's type names; anything else is refused. */
const KIND_OF_TYPE = new Map<string, EntryKind | EntryRule>([
  ['File', 'file'],
  ['OldFile', 'file'],
  ['Directory', 'directory'],
  ['SymbolicLink', ENTRY_RULE.symlink],
  ['Link', ENTRY_RULE.hardlink],
  ['CharacterDevice', ENTRY_RULE.device],
  ['BlockDevice', ENTRY_RULE.device],
  ['FIFO', ENTRY_RULE.fifo],
]);

/**
 * Decide one entry. `seen` maps already-accepted relative paths to their kind, so
 * duplicates (a later entry silently replacing an earlier one) and files used as
 * directories are refused too.
 */
export function checkEntry(type: string, rawPath: string, seen: ReadonlyMap<string, EntryKind>): EntryVerdict {
  const mapped = KIND_OF_TYPE.get(type);
  if (mapped === undefined) return { ok: false, rule: ENTRY_RULE.unsupportedType, detail: type };
  if (mapped !== 'file' && mapped !== 'directory') return { ok: false, rule: mapped };
  const kind = mapped;

  if (/[\x00-\x1f\x7f]/.test(rawPath)) return { ok: false, rule: ENTRY_RULE.controlCharacter };
  if (rawPath.startsWith('/')) return { ok: false, rule: ENTRY_RULE.absolutePath };

  // `tar -czf x.tgz ./wordpress` writes a leading './'; it means the same thing.
  const trimmed = rawPath.replace(/^\.\//, '').replace(/\/$/, '');
  const segments = trimmed.split('/');
  if (segments.includes('..')) return { ok: false, rule: ENTRY_RULE.parentSegment };
  if (segments.some((s) => s === '' || s === '.')) return { ok: false, rule: ENTRY_RULE.oddSegment };
  if (segments[0] !== ARCHIVE_TOP_DIR) return { ok: false, rule: ENTRY_RULE.outsideTopDir };
  if (segments.length === 1 && kind !== 'directory') return { ok: false, rule: ENTRY_RULE.outsideTopDir };

  const relative = segments.slice(1).join('/');
  if (relative !== '' && seen.has(relative)) return { ok: false, rule: ENTRY_RULE.duplicate };
  // The nearest ancestor the archive named decides: usually the parent, seen as a directory.
  for (let end = relative.lastIndexOf('/'); end > 0; end = relative.lastIndexOf('/', end - 1)) {
    const ancestor = seen.get(relative.slice(0, end));
    if (ancestor === 'file') return { ok: false, rule: ENTRY_RULE.underFile };
    if (ancestor === 'directory') break;
  }
  return { ok: true, kind, relative };
}

/** The one-line reason used in IntegrityError messages. */
export function describeRejection(rawPath: string, rule: EntryRule, detail?: string): string {
  const shown = rawPath.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 200);
  return `unsafe archive entry '${shown}': ${rule}${detail ? ` (${detail})` : ''}`;
}
