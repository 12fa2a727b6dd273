/**
 * Entry point of the `archy-quadlet` command line: the one place that maps
 * errors to exit codes (0 ok, 1 invalid input, 2 usage, 3 failure).
 */
import { EXIT, exitCodeFor, formatProblems, InvalidInputError, ReportedError } from '../errors.js';
import { prebuiltHelp } from './prebuilt-help.js';
import { VERSION } from './version.js';

async function main(argv: string[]): Promise<number> {
  // `--version` alone needs neither the parser nor a command: it answers before either loads (issue 15).
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  // A help the build stored from commander's own output prints before either loads too (prebuilt-help.ts).
  const help = prebuiltHelp(argv.slice(2), process.stdout);
  if (help !== undefined) {
    process.stdout.write(help);
    return EXIT.ok;
  }
  const [{ CommanderError }, { buildProgram }] = await Promise.all([import('./commander.js'), import('./program.js')]);
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof ReportedError) {
      // The command printed it already (a report, a --json answer).
    } else if (err instanceof InvalidInputError && err.problems.length > 0) {
      process.stderr.write(`${formatProblems(err.problems)}\n`);
    } else {
      process.stderr.write(`archy-quadlet: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    return exitCodeFor(err);
  }
}

process.exitCode = await main(process.argv);
