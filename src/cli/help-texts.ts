/**
 * Every help the command line prints, as commander prints it, for the build to store (`scripts/build-help.mjs` →
 * `dist/cli/help.json`, read by `prebuilt-help.ts`). Each text is what commander wrote when the program was run with
 * that very argv, so the stored help is commander's own and follows every change to a command at the next build.
 */
import { buildProgram } from './program.js';
import { CommanderError, type Command } from './commander.js';
import { HELP_WIDTH, type PrebuiltHelp } from './prebuilt-help.js';

/** The path of every command and subcommand (`[]` the program, `['import', 'compose']`), the program first. */
export function commandPaths(program: Command): string[][] {
  const out: string[][] = [];
  const walk = (cmd: Command, path: string[]): void => {
    out.push(path);
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return out;
}

/**
 * The argvs that print the help of the command at `path`: `P --help`, `P -h`, `help NAME` under its parent, and
 * `P help` for a command with subcommands (commander's implicit help command).
 */
export function helpArgvs(path: readonly string[], hasSubcommands: boolean): string[][] {
  const argvs = [[...path, '--help'], [...path, '-h']];
  if (path.length > 0) argvs.push([...path.slice(0, -1), 'help', path.at(-1)!]);
  if (hasSubcommands) argvs.push([...path, 'help']);
  return argvs;
}

/** What commander did for one argv: its exit code, and what it wrote to stdout and stderr. */
export interface CommanderRun {
  exitCode: number;
  code?: string;
  stdout: string;
  stderr: string;
}

/**
 * Runs the program on `args` (the arguments after the program's name) with commander's writers captured, as on a
 * stdout and stderr that are not terminals (wrapped at {@link HELP_WIDTH}, no colours). Runs no command body for a
 * help argv; a command's own errors (not commander's) are thrown.
 */
export async function runCommander(args: readonly string[]): Promise<CommanderRun> {
  let stdout = '';
  let stderr = '';
  const program = await buildProgram(['node', 'archy-quadlet', ...args], {
    writeOut: (s) => void (stdout += s),
    writeErr: (s) => void (stderr += s),
    getOutHelpWidth: () => HELP_WIDTH,
    getErrHelpWidth: () => HELP_WIDTH,
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
  try {
    await program.parseAsync(['node', 'archy-quadlet', ...args]);
    return { exitCode: 0, stdout, stderr };
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return { exitCode: err.exitCode, code: err.code, stdout, stderr };
  }
}

/**
 * Every help argv of every command and the text commander prints for it. Throws when one of them does not print a
 * help to stdout alone with exit code 0 (the build then fails rather than store something else).
 */
export async function helpTexts(): Promise<PrebuiltHelp> {
  const program = await buildProgram(['node', 'archy-quadlet']);
  const stored: PrebuiltHelp = { width: HELP_WIDTH, argv: {}, texts: [] };
  for (const path of commandPaths(program)) {
    const cmd = path.reduce<Command>((c, name) => c.commands.find((s) => s.name() === name)!, program);
    for (const args of helpArgvs(path, cmd.commands.length > 0)) {
      const run = await runCommander(args);
      if (run.exitCode !== 0 || !run.code?.startsWith('commander.help') || run.stderr !== '' || run.stdout === '') {
        throw new Error(`archy-quadlet ${args.join(' ')} did not print a help: exit ${run.exitCode} (${run.code ?? 'no commander exit'}), stderr ${JSON.stringify(run.stderr)}`);
      }
      let index = stored.texts.indexOf(run.stdout);
      if (index < 0) index = stored.texts.push(run.stdout) - 1;
      stored.argv[JSON.stringify(args)] = index;
    }
  }
  return stored;
}
