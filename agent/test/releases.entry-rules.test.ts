import { describe, expect, it } from 'vitest';
import { checkEntry, ENTRY_RULE, type EntryKind } from '../src/releases/entry-rules.js';

const none = new Map<string, EntryKind>();

describe('checkEntry', () => {
  it.each([
    ['Directory', 'wordpress/', 'directory', ''],
    ['Directory', 'wordpress/wp-admin/', 'directory', 'wp-admin'],
    ['File', 'wordpress/wp-admin/index.php', 'file', 'wp-admin/index.php'],
    ['OldFile', 'wordpress/index.php', 'file', 'index.php'],
    ['File', './wordpress/index.php', 'file', 'index.php'],
  ])('accepts %s %s', (type, rawPath, kind, relative) => {
    expect(checkEntry(type, rawPath, none)).toEqual({ ok: true, kind, relative });
  });

  it.each([
    ['File', '/wordpress/index.php', ENTRY_RULE.absolutePath],
    ['File', 'wordpress/../index.php', ENTRY_RULE.parentSegment],
    ['File', '../wordpress/index.php', ENTRY_RULE.parentSegment],
    ['File', 'wordpress//index.php', ENTRY_RULE.oddSegment],
    ['File', 'wordpress/./index.php', ENTRY_RULE.oddSegment],
    ['File', 'wordpress/in\ndex.php', ENTRY_RULE.controlCharacter],
    ['File', 'wordpress', ENTRY_RULE.outsideTopDir],
    ['File', 'WordPress/index.php', ENTRY_RULE.outsideTopDir],
    ['Directory', 'other/', ENTRY_RULE.outsideTopDir],
    ['SymbolicLink', 'wordpress/x', ENTRY_RULE.symlink],
    ['Link', 'wordpress/x', ENTRY_RULE.hardlink],
    ['CharacterDevice', 'wordpress/x', ENTRY_RULE.device],
    ['BlockDevice', 'wordpress/x', ENTRY_RULE.device],
    ['FIFO', 'wordpress/x', ENTRY_RULE.fifo],
    ['ContiguousFile', 'wordpress/x', ENTRY_RULE.unsupportedType],
    ['constructor', 'wordpress/x', ENTRY_RULE.unsupportedType],
  ])('refuses %s %j', (type, rawPath, rule) => {
    expect(checkEntry(type, rawPath, none)).toMatchObject({ ok: false, rule });
  });

  it('refuses a path that was already extracted', () => {
    const seen = new Map<string, EntryKind>([['index.php', 'file']]);
    expect(checkEntry('File', 'wordpress/index.php', seen)).toMatchObject({ ok: false, rule: ENTRY_RULE.duplicate });
  });

  it('refuses a path that goes through a file, even below an implicit directory', () => {
    const seen = new Map<string, EntryKind>([['a', 'file']]);
    expect(checkEntry('File', 'wordpress/a/b/c.php', seen)).toMatchObject({ ok: false, rule: ENTRY_RULE.underFile });
  });
});
