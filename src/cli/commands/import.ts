/**
 * `archy-quadlet import compose|quadlet|container`: apps described another way → app manifests (docs/import.md).
 * The importers, the loader and the compiler load when an import runs (`import-run.ts`), not for `--help`.
 */
import type { Command } from 'commander';
import type { ImportComposeOptions, ImportContainerOptions, ImportQuadletOptions } from '../import-run.js';
import { withOptions } from '../options.js';

const COMMON = (cmd: Command): Command =>
  withOptions(
    cmd
      .option('--dry-run', 'print the manifests instead of writing them')
      .option('--force', 'overwrite existing manifests')
      .option('--allow-drop', 'write even when parts of the input are not carried over (they are still listed)'),
    ['importOut'],
  );

/** Adds `import` and its subcommands `compose`, `quadlet` and `container` to the program. */
export function register(program: Command): void {
  const group = program.command('import').description('turn apps described another way into manifests: import compose, import quadlet, import container');
  COMMON(
    group
      .command('compose')
      .description('compose projects (a compose file, a directory with one, or a directory of such directories) → one manifest per project')
      .argument('<path>', 'a compose file or a directory')
      .option('--env <file>', 'a variable file, instead of the project\'s .env (repeatable; later files win, the environment wins over all)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--app <id>', 'the app id (default: the compose project\'s name, or its directory\'s)'),
  ).action(async (target: string, _opts: unknown, cmd: Command) => {
    const { importComposeCommand } = await import('../import-run.js');
    await importComposeCommand(target, cmd.optsWithGlobals<ImportComposeOptions>());
  });
  withOptions(
    COMMON(
      group
        .command('quadlet')
        .description('a directory of Quadlet units (.container, .volume, .network, …) → one manifest per container, or per app of several')
        .argument('<dir>', 'the unit directory, e.g. /etc/containers/systemd'),
    ),
    ['podmanVersion'],
  ).action(async (dir: string, _opts: unknown, cmd: Command) => {
    const { importQuadletCommand } = await import('../import-run.js');
    await importQuadletCommand(dir, cmd.optsWithGlobals<ImportQuadletOptions>());
  });
  withOptions(
    COMMON(
      group
        .command('container')
        .description('existing containers (podman inspect) → one manifest each, keeping their data paths, volumes and ports')
        .argument('[names...]', 'container names or ids')
        .option('--all', 'every container, but those of systemd units and pods\' infra containers')
        .option('--podman <path>', 'the podman command whose containers are read (podman inspect, podman image inspect)', 'podman'),
    ),
    ['podmanVersion'],
  ).action(async (names: string[], _opts: unknown, cmd: Command) => {
    const { importContainerCommand } = await import('../import-run.js');
    await importContainerCommand(names, cmd.optsWithGlobals<ImportContainerOptions>());
  });
}
