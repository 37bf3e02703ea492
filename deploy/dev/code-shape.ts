/**
 * Code shape report (`pnpm shape [--top N]`): the largest source files and the longest
 * functions of every package's src/, the figures the restructuring issues are judged by.
 * Folder and module cycles are reported by `pnpm lint` (dependency-cruiser).
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';

const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 10;
const files = execFileSync('git', ['ls-files', '*/src/**.ts'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.includes('/generated/'));

interface Measured {
  where: string;
  lines: number;
}

function functionName(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name) return node.name.getText();
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  return '(anonymous)';
}

const sizes: Measured[] = [];
const functions: Measured[] = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  sizes.push({ where: file, lines: text.split('\n').length - 1 });
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      functions.push({ where: `${file}:${start + 1} ${functionName(node)}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const show = (title: string, list: Measured[]): void => {
  console.log(title);
  for (const m of [...list].sort((a, b) => b.lines - a.lines).slice(0, top)) console.log(`  ${String(m.lines).padStart(5)}  ${m.where}`);
};
console.log(`${files.length} source files, ${sizes.reduce((n, s) => n + s.lines, 0)} lines`);
show('largest files (lines):', sizes);
show('longest functions (lines):', functions);
