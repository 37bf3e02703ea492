/**
 * The plugin or theme a PHP error points at, from a file path or any text holding
 * paths (a stack trace, an error log line): the first `/plugins/SLUG`, `/mu-plugins/SLUG`
 * or `/themes/SLUG` in it. "plugin SLUG", "mu-plugin SLUG", "theme SLUG", else undefined.
 */
export function culpritIn(text: string): string | undefined {
  const match = /\/(mu-plugins|plugins|themes)\/([^/\s:'"()]+)/.exec(text);
  if (!match) return undefined;
  const kind = match[1] === 'themes' ? 'theme' : match[1] === 'mu-plugins' ? 'mu-plugin' : 'plugin';
  return `${kind} ${(match[2] as string).replace(/\.php$/, '')}`;
}

/** The culprit of an error at `file`: the file itself, else the first extension frame in its message (a stack trace). */
export function culpritOf(error: { file?: string; message: string }): string | undefined {
  return culpritIn(error.file ?? '') ?? culpritIn(error.message);
}
