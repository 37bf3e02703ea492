import { describe, expect, it } from 'vitest';
import { culpritIn, culpritOf } from '../src/health/culprit.js';
import { summarisePhpLog } from '../src/health/php-log.js';
import { findProofMarker, PROOF_MARKER_OPEN, type ProofMarker } from '../src/health/proof-marker.js';
import { explainFromLog, judgeLog, judgePage } from '../src/health/proof-verdict.js';

const NONCE = 'a'.repeat(32);
const PLUGIN_FILE = '/var/www/shared/wp-content/plugins/shop-tools/inc/load.php';

function marker(overrides: Partial<ProofMarker> = {}): ProofMarker {
  return {
    nonce: NONCE,
    wp_version: '6.5.5',
    wp_db_version: 57155,
    db_version: 57155,
    release: 'wp-6.5.5-20261203T000000Z',
    theme: 'twentytwentyfour',
    plugins: ['shop-tools/shop-tools.php'],
    footer: true,
    warnings: 0,
    first_warning: null,
    ms: 12.5,
    ...overrides,
  };
}
/** How the MU-plugin writes it: JSON with <, > and & escaped. */
const comment = (m: ProofMarker) =>
  `${PROOF_MARKER_OPEN}${JSON.stringify(m).replace(/</g, '\\u003C').replace(/>/g, '\\u003E').replace(/&/g, '\\u0026')} -->`;
const page = (body: string, status = 200, path = '/') => ({ path, status, body, nonce: NONCE });
const expected = { wpVersion: '6.5.5', dbVersion: 57155, release: 'wp-6.5.5-20261203T000000Z' };
const judge = (body: string, status = 200, path = '/') =>
  judgePage(page(body, status, path), { frontPage: path === '/', expected, maxWarnings: 10 });

describe('the proof marker', () => {
  it('is found only with this probe nonce: a cached page carrying an earlier marker is not a proof', () => {
    const earlier = comment(marker({ nonce: 'b'.repeat(32) }));
    expect(findProofMarker(`<html>${earlier}</html>`, NONCE)).toBeUndefined();
    expect(findProofMarker(`<html>${earlier}</html>${comment(marker())}`, NONCE)?.nonce).toBe(NONCE);
    expect(findProofMarker(`<html>${comment(marker())}</html>${earlier}`, NONCE)?.nonce).toBe(NONCE);
  });

  it('survives a message holding "-->" (escaped by the MU-plugin) and ignores malformed JSON', () => {
    const m = marker({ first_warning: { message: 'bad --> comment <b>', file: PLUGIN_FILE, line: 3 }, warnings: 1 });
    expect(findProofMarker(comment(m), NONCE)?.first_warning?.message).toBe('bad --> comment <b>');
    expect(findProofMarker(`${PROOF_MARKER_OPEN}{"nonce":"${NONCE}" -->`, NONCE)).toBeUndefined();
  });
});

describe('the culprit', () => {
  it.each([
    ['/var/www/shared/wp-content/plugins/shop-tools/inc/load.php', 'plugin shop-tools'],
    ['/var/www/shared/wp-content/plugins/hello.php', 'plugin hello'],
    ['/var/www/a.test/htdocs/wp-content/themes/astra/functions.php', 'theme astra'],
    ['/var/www/shared/wp-content/mu-plugins/loader.php', 'mu-plugin loader'],
    ['/var/www/shared/releases/wp-6.5.5/wp-includes/plugin.php', undefined],
  ])('of %s is %s', (file, culprit) => {
    expect(culpritIn(file)).toBe(culprit);
  });

  it('of an error raised in core comes from the first extension frame of its stack trace', () => {
    const message = `Uncaught TypeError: bad in /x/wp-includes/class-wp-hook.php:324\nStack trace:\n#0 ${PLUGIN_FILE}(12): foo()`;
    expect(culpritOf({ file: '/x/wp-includes/class-wp-hook.php', message })).toBe('plugin shop-tools');
  });
});

describe('the PHP messages an error log grew by', () => {
  it('counts several messages in one nginx entry and finds the first fatal', () => {
    const text =
      `2026/12/03 13:00:00 [error] 12#12: *5 FastCGI sent in stderr: "PHP message: PHP Warning:  Undefined array key "x" in ${PLUGIN_FILE} on line 7` +
      `PHP message: PHP Warning:  Undefined array key "y" in ${PLUGIN_FILE} on line 8; ` +
      `PHP message: PHP Fatal error:  Uncaught Error: Call to undefined function gone() in ${PLUGIN_FILE}:14\nStack trace:\n#0 {main}\n  thrown in ${PLUGIN_FILE} on line 14" while reading response header from upstream, client: 127.0.0.1\n`;
    const summary = summarisePhpLog(text);
    expect(summary.messages).toBe(3);
    expect(summary.first).toEqual({ kind: 'Warning', message: 'Undefined array key "x"', file: PLUGIN_FILE, line: 7 });
    expect(summary.fatal).toEqual({
      kind: 'Fatal error',
      message: 'Uncaught Error: Call to undefined function gone()',
      file: PLUGIN_FILE,
      line: 14,
    });
  });

  it('is empty for lines that are not PHP messages', () => {
    expect(summarisePhpLog('2026/12/03 [error] 1#1: *1 open() "/x/favicon.ico" failed (2: No such file or directory)\n')).toEqual({
      messages: 0,
    });
  });
});

describe('judging a checked page', () => {
  it('passes a 200 front page with this nonce, the expected core and schema, wp_footer reached, few warnings', () => {
    expect(judge(`<html>${comment(marker({ warnings: 10 }))}`).failure).toBeUndefined();
  });

  it("names the plugin and the fatal (its first line) from the marker on WordPress' fatal error page", () => {
    const fatal = {
      message: `Uncaught Error: Call to undefined function gone() in ${PLUGIN_FILE}:14\nStack trace:\n#0 {main}\n  thrown`,
      file: PLUGIN_FILE,
      line: 14,
    };
    const { failure } = judge(`<p>critical error</p>${comment(marker({ fatal, footer: false }))}`, 500);
    expect(failure).toEqual({
      error: `/: HTTP 500, plugin shop-tools: PHP Fatal error: Uncaught Error: Call to undefined function gone() in ${PLUGIN_FILE}:14`,
      culprit: 'plugin shop-tools',
    });
  });

  it('refuses a page without this nonce marker, a non-200, another core or schema, a cut-off front page, a warning flood', () => {
    expect(judge('<html>cached</html>').failure?.error).toBe(
      "/: HTTP 200 without this probe's proof marker (a cached page, or the rendering stopped before its end)",
    );
    expect(judge(comment(marker()), 502).failure?.error).toBe('/: HTTP 502');
    expect(judge(comment(marker({ wp_version: '6.4.5', release: 'wp-6.4.5-x' }))).failure?.error).toBe(
      '/: HTTP 200: rendered by WordPress 6.4.5 (wp-6.4.5-x), expected 6.5.5 (wp-6.5.5-20261203T000000Z)',
    );
    expect(judge(comment(marker({ db_version: 56657 }))).failure?.error).toBe('/: HTTP 200: db_version 56657, expected 57155');
    expect(judge(comment(marker({ footer: false }))).failure?.error).toBe(
      '/: HTTP 200: the page ended before wp_footer (the theme did not finish rendering)',
    );
    expect(judge(comment(marker({ footer: false })), 200, '/wp-json/').failure).toBeUndefined();
    const first = { message: 'Undefined array key "k"', file: PLUGIN_FILE, line: 9 };
    expect(judge(comment(marker({ warnings: 11, first_warning: first }))).failure).toEqual({
      error: `/: HTTP 200, plugin shop-tools: 11 PHP warnings (at most 10), first: PHP Warning: Undefined array key "k" in ${PLUGIN_FILE}:9`,
      culprit: 'plugin shop-tools',
    });
  });

  it('explains a bare 500 with the fatal the error log recorded, and judges the log alone', () => {
    const log = summarisePhpLog(`PHP message: PHP Fatal error:  Uncaught Error: x in ${PLUGIN_FILE}:3\n`);
    expect(explainFromLog({ error: '/: HTTP 500' }, log)).toEqual({
      error: `/: HTTP 500, plugin shop-tools: PHP Fatal error: Uncaught Error: x in ${PLUGIN_FILE}:3`,
      culprit: 'plugin shop-tools',
    });
    expect(judgeLog(log, 10)?.culprit).toBe('plugin shop-tools');
    const warnings = summarisePhpLog(`PHP message: PHP Warning:  w in ${PLUGIN_FILE} on line 2\n`.repeat(3));
    expect(judgeLog(warnings, 3)).toBeUndefined();
    expect(judgeLog(warnings, 2)?.error).toBe(
      `error log, plugin shop-tools: 3 PHP messages (at most 2), first: PHP Warning: w in ${PLUGIN_FILE}:2`,
    );
  });
});
