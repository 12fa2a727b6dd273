import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// A command is a thin function over the node context and the pipeline, never over another command: what commands
// share lives beside them in src/cli/ (node-context.ts, options.ts, report.ts, node-pass.ts, live.ts, …).
const COMMANDS = join('src', 'cli', 'commands');

/** Every module specifier in `text`: `from '…'` (imports, re-exports), `import '…'` and `import('…')`. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** The files of src/cli/commands/ that `file`'s text imports (relative specifiers resolved against `file`). */
function commandImports(file: string, text: string): string[] {
  return specifiers(text)
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s))
    .filter((target) => {
      const r = relative(resolve(COMMANDS), target);
      return r !== '' && !r.startsWith('..') && !isAbsolute(r);
    })
    .map((target) => relative(resolve('.'), target));
}

const files = readdirSync(COMMANDS)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(COMMANDS, f));

describe('layers: a command module never imports another command module', () => {
  it('sees an import of a command, static or dynamic, and nothing else', () => {
    const file = join(COMMANDS, 'diff.ts');
    const text = `import { apply } from './apply.js';\nexport { x } from "../report.js";\nconst m = await import('./serve.js');\nimport '../../errors.js';\n`;
    expect(commandImports(file, text)).toEqual([join(COMMANDS, 'apply.js'), join(COMMANDS, 'serve.js')]);
  });

  it('finds the command modules', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of files) {
    it(`${file} imports no file of ${COMMANDS}/`, () => {
      expect(commandImports(file, readFileSync(file, 'utf8'))).toEqual([]);
    });
  }
});

describe('layers: each shared option is declared once, in src/cli/options.ts', () => {
  const cli = [join('src', 'cli'), COMMANDS].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)));
  for (const flag of ['--unit-dir', '--git', '--ref', '--generator', '--podman-version', '--interval', '--out', '--manifests', '--state-dir', '--bus']) {
    it(`${flag}`, () => {
      expect(cli.filter((file) => readFileSync(file, 'utf8').includes(`'${flag} <`))).toEqual([join('src', 'cli', 'options.ts')]);
    });
  }
});
