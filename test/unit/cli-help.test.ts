// The help the build stores (dist/cli/help.json, printed without commander: src/cli/prebuilt-help.ts) against
// commander's own output for the same argv, for every command; and what is not stored still goes through commander.
// bin/archy-quadlet runs dist/: `npm run build` first.
import { readFileSync } from 'node:fs';
import { describe, expect, test, vi } from 'vitest';
import { commandPaths, helpArgvs, runCommander } from '../../src/cli/help-texts.js';
import { HELP_WIDTH, prebuiltHelp, type PrebuiltHelp } from '../../src/cli/prebuilt-help.js';
import { buildProgram } from '../../src/cli/program.js';
import type { Command } from '../../src/cli/commander.js';
import { assertBuilt, runCli } from '../support/cli.js';

const program = await buildProgram(['node', 'archy-quadlet']);
const commandAt = (path: readonly string[]): Command => path.reduce<Command>((c, name) => c.commands.find((s) => s.name() === name)!, program);
const helpArgvsOfAll = commandPaths(program).flatMap((path) => helpArgvs(path, commandAt(path).commands.length > 0));

/** What `bin/archy-quadlet` should do for `args`: commander's output, its exit code as main.ts maps it (usage: 2). */
async function expected(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = await runCommander(args);
  return { code: run.exitCode === 0 ? 0 : 2, stdout: run.stdout, stderr: run.stderr };
}

describe('the stored help', () => {
  test('covers every command and subcommand: --help, -h, help NAME, and a group\'s own help', () => {
    assertBuilt();
    const stored = JSON.parse(readFileSync(new URL('../../dist/cli/help.json', import.meta.url), 'utf8')) as PrebuiltHelp;
    expect(Object.keys(stored.argv).sort()).toEqual(helpArgvsOfAll.map((a) => JSON.stringify(a)).sort());
    expect(commandPaths(program).length).toBeGreaterThan(15);
    expect(helpArgvsOfAll).toContainEqual(['import', 'compose', '--help']);
    expect(helpArgvsOfAll).toContainEqual(['help', 'status']);
    expect(helpArgvsOfAll).toContainEqual(['import', 'help']);
  });

  test.each(helpArgvsOfAll.map((a) => [a.join(' '), a] as const))('archy-quadlet %s prints what commander prints', async (_, args) => {
    const r = await runCli(args);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual(await expected(args));
    expect(r.stdout).toMatch(/^Usage: archy-quadlet/);
  });

  test.each([
    [['status', '--bogus']],
    [['bogus']],
    [['bogus', '--help']],
    [['help', 'bogus']],
    [['--json', '--help']],
    [['status', '--help', '--bogus']],
    [['import', 'compose']],
    [[]],
  ])('%j is not stored and goes through commander as before', async (args) => {
    expect(helpArgvsOfAll.map((a) => JSON.stringify(a))).not.toContain(JSON.stringify(args));
    const r = await runCli(args);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual(await expected(args));
  });
});

describe('prebuiltHelp', () => {
  const file: PrebuiltHelp = { width: HELP_WIDTH, argv: { '["--help"]': 0, '["status","-h"]': 1 }, texts: ['top\n', 'status\n'] };
  const read = (): string => JSON.stringify(file);

  test('prints the stored text for a stored argv on a pipe or a terminal of the stored width', () => {
    expect(prebuiltHelp(['--help'], {}, read)).toBe('top\n');
    expect(prebuiltHelp(['status', '-h'], { isTTY: true, columns: HELP_WIDTH }, read)).toBe('status\n');
  });

  test('leaves to commander a terminal of another width, another argv, or a missing or broken file', () => {
    expect(prebuiltHelp(['--help'], { isTTY: true, columns: 132 }, read)).toBeUndefined();
    expect(prebuiltHelp(['status', '--help'], {}, read)).toBeUndefined();
    expect(prebuiltHelp(['--help', 'x'], {}, read)).toBeUndefined();
    expect(
      prebuiltHelp(['--help'], {}, () => {
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      }),
    ).toBeUndefined();
    expect(prebuiltHelp(['--help'], {}, () => '{"width":8')).toBeUndefined();
  });

  test('reads nothing for an argv without a help word', () => {
    const spy = vi.fn(read);
    expect(prebuiltHelp(['status', '--json'], {}, spy)).toBeUndefined();
    expect(spy).not.toHaveBeenCalled();
  });
});
