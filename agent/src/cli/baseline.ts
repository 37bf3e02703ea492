import type { Command } from 'commander';
import { COMMANDS } from '../commands/table.js';
import { out, run } from './context.js';

/** baseline show / set: the plugins, theme and options enforced on every site. */
export function baselineCli(program: Command): void {
  const baseline = program.command('baseline').description('the plugins, theme and options enforced on every site');
  baseline
    .command('show')
    .description('print baseline.json')
    .option('--json', 'print as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await run(cmd, COMMANDS.baselineShow, {});
      out(cmd, r, () => [
        `theme:   ${r.theme ?? '(site choice)'}`,
        `plugins: ${r.plugins.length ? r.plugins.join(', ') : '(none forced)'}`,
        ...Object.entries(r.options).map(([k, v]) => `option:  ${k} = ${JSON.stringify(v)}`),
      ]);
    });
  baseline
    .command('set')
    .description('change the baseline (replaces the given parts)')
    .option('--plugin <file...>', 'plugin files to force active, like akismet/akismet.php')
    .option('--theme <dir>', "theme directory to force ('' for none)")
    .option('--option <name=value...>', 'option values to force')
    .option('--file <baseline.json>', 'replace the whole baseline from a file')
    .option('--json', 'print the result as JSON')
    .action(async (o: { plugin?: string[]; theme?: string; option?: string[]; file?: string }, cmd: Command) => {
      const r = await run(cmd, COMMANDS.baselineSet, o);
      out(cmd, r, () => ['baseline updated']);
    });
}
