import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layer rules of src/ (README, "How it fits together"), one list for all:
// 1. The pure core does no IO: the manifest loader, the compiler, the renderer, the reconcile planner and the
//    controller's state derivation and ordering take what the IO shell read and return values. Every file they reach
//    through relative imports, type-only ones included, is held to the same forbidden list.
// 2. A command is a thin function over the node context and the pipeline, never over another command: what commands
//    share lives beside them in src/cli/ (node-context.ts, options.ts, report.ts, node-pass.ts, live.ts, …).
// 3. Each shared option is declared once, in src/cli/options.ts.

const FORBIDDEN = [/from ['"]node:/, /from ['"](fs|child_process|os|path|crypto|net|http)['"]/, /dbus-next/, /\bprocess\./, /\bimport\(/];

/**
 * Where the pure core may touch what the rule forbids, and why. Each entry names one file and the one pattern it
 * may match; anything else in that file is still forbidden.
 */
const ALLOWED: Record<string, { pattern: string; why: string }> = {
  [join('src', 'manifest', 'schema.ts')]: {
    pattern: String(/from ['"]node:/),
    why: "createRequire reads the package's own schema/manifest.schema.json once, as a JSON import would",
  },
};

const PURE_ENTRIES = [
  ...tsFiles(join('src', 'manifest')),
  ...tsFiles(join('src', 'compile')),
  ...tsFiles(join('src', 'render')),
  join('src', 'reconcile', 'plan.ts'),
  join('src', 'controller', 'state.ts'),
  join('src', 'controller', 'tracker.ts'),
];

const COMMANDS = join('src', 'cli', 'commands');

function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Every module specifier in `text`: `from '…'` (imports, re-exports), `import '…'` and `import('…')`. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** The project files `file` imports through relative specifiers, as paths relative to the repository root. */
function relativeImports(file: string, text: string): string[] {
  return specifiers(text)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(resolve('.'), resolve(dirname(file), s.replace(/\.js$/, '.ts'))));
}

/** `entries` and every project file they reach through relative imports, sorted. */
function closure(entries: string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const target of relativeImports(file, readFileSync(file, 'utf8'))) visit(target);
  };
  entries.forEach(visit);
  return [...seen].sort();
}

/** The forbidden patterns `text` matches, less the one `file` is allowed. */
function violations(file: string, text: string): string[] {
  return FORBIDDEN.map(String).filter((re, i) => FORBIDDEN[i]!.test(text) && ALLOWED[file]?.pattern !== re);
}

/** The files of src/cli/commands/ that `file`'s text imports. */
function commandImports(file: string, text: string): string[] {
  return relativeImports(file, text).filter((target) => {
    const r = relative(COMMANDS, target);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r);
  });
}

describe('layers: the pure core does no IO', () => {
  it('the rule sees node modules, D-Bus, process and dynamic imports, and honours only the listed exception', () => {
    expect(violations('x.ts', `import { readFile } from 'node:fs/promises';\nimport { a } from './a.js';`)).toEqual([String(FORBIDDEN[0])]);
    expect(violations('x.ts', `import * as dbus from 'dbus-next';\nconst e = process.env;\nawait import('./y.js');`)).toHaveLength(3);
    expect(violations('x.ts', `import { randomBytes } from 'crypto';`)).toEqual([String(FORBIDDEN[1])]);
    expect(violations(join('src', 'manifest', 'schema.ts'), `import { createRequire } from 'node:module';`)).toEqual([]);
    expect(violations(join('src', 'manifest', 'schema.ts'), `const e = process.env;`)).toEqual([String(FORBIDDEN[3])]);
  });

  it('the reconcile planner reaches its steps and the shared contracts, nothing else', () => {
    expect(closure([join('src', 'reconcile', 'plan.ts')])).toEqual([
      join('src', 'compile', 'defaults.ts'),
      join('src', 'controller', 'types.ts'),
      join('src', 'naming.ts'),
      join('src', 'reconcile', 'backoff.ts'),
      join('src', 'reconcile', 'plan.ts'),
      join('src', 'reconcile', 'steps.ts'),
      join('src', 'reconcile', 'types.ts'),
      join('src', 'reconcile', 'unit-text.ts'),
      join('src', 'render', 'types.ts'),
    ]);
  });

  const pure = closure(PURE_ENTRIES);
  it('covers src/manifest, src/compile, src/render, the planner, the state derivation and the tracker', () => {
    for (const entry of PURE_ENTRIES) expect(pure).toContain(entry);
  });

  for (const file of pure) {
    it(`${file} imports no node module, D-Bus or process`, () => {
      expect(violations(file, readFileSync(file, 'utf8'))).toEqual([]);
    });
  }
});

describe('layers: a command module never imports another command module', () => {
  it('sees an import of a command, static or dynamic, and nothing else', () => {
    const file = join(COMMANDS, 'diff.ts');
    const text = `import { apply } from './apply.js';\nexport { x } from "../report.js";\nconst m = await import('./serve.js');\nimport '../../errors.js';\n`;
    expect(commandImports(file, text)).toEqual([join(COMMANDS, 'apply.ts'), join(COMMANDS, 'serve.ts')]);
  });

  const commands = tsFiles(COMMANDS);
  it('finds the command modules', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of commands) {
    it(`${file} imports no file of ${COMMANDS}/`, () => {
      expect(commandImports(file, readFileSync(file, 'utf8'))).toEqual([]);
    });
  }
});

describe('layers: each shared option is declared once, in src/cli/options.ts', () => {
  const cli = [...tsFiles(join('src', 'cli')), ...tsFiles(COMMANDS)];
  for (const flag of ['--unit-dir', '--git', '--ref', '--generator', '--podman-version', '--interval', '--out', '--manifests', '--state-dir', '--bus']) {
    it(`${flag}`, () => {
      expect(cli.filter((file) => readFileSync(file, 'utf8').includes(`'${flag} <`))).toEqual([join('src', 'cli', 'options.ts')]);
    });
  }
});
