/**
 * The filesystem edge of `import compose`: finds compose projects (a compose file, a directory holding one, or a
 * directory of such directories) and reads everything the pure conversion (`src/import/project.ts`) needs: the
 * compose file, its variable files (`--env`, or the project's `.env`) and the env files its services name.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { envFilesOf, type ComposeInput } from '../../import/project.js';
import type { EnvFileText } from '../../import/service-env.js';
import { readTextIfExists } from '../fs.js';

/** The file names compose looks for in a project directory, in its order (Compose Specification, "Compose file"). */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** One compose project: its compose file (absolute) and its directory. */
export interface ComposeProject {
  file: string;
  dir: string;
}

/** `p` relative to `cwd` when inside it (as findings show it), else absolute. */
function shown(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

async function composeFileIn(dir: string): Promise<string | undefined> {
  const names = new Set(await readdir(dir));
  const name = COMPOSE_FILE_NAMES.find((n) => names.has(n));
  return name === undefined ? undefined : path.join(dir, name);
}

/**
 * The projects at `target`: a file is one project; a directory with a compose file is one; otherwise each direct
 * subdirectory with a compose file is one (sorted by name). Empty when there is none.
 * @throws the fs error when `target` cannot be read (ENOENT, EACCES).
 */
export async function findComposeProjects(target: string, cwd: string = process.cwd()): Promise<ComposeProject[]> {
  const abs = path.resolve(cwd, target);
  if (!(await stat(abs)).isDirectory()) return [{ file: abs, dir: path.dirname(abs) }];
  const own = await composeFileIn(abs);
  if (own) return [{ file: own, dir: abs }];
  const entries = (await readdir(abs, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const found = await Promise.all(entries.map(async (name) => ({ dir: path.join(abs, name), file: await composeFileIn(path.join(abs, name)) })));
  return found.filter((p): p is ComposeProject => p.file !== undefined);
}

/**
 * Reads a project for {@link importCompose}: the compose file, the variable files (`envFlags` when given, each
 * required; otherwise the project's `.env` when it exists), and every env file its services name (a missing one
 * is passed as missing: the conversion says whether that matters). `environment`: the process environment.
 * @throws the fs error when the compose file or an `--env` file cannot be read.
 */
export async function readComposeProject(project: ComposeProject, envFlags: readonly string[], environment: Readonly<Record<string, string | undefined>>, cwd: string = process.cwd()): Promise<Omit<ComposeInput, 'appId'>> {
  const text = await readTextIfExists(project.file);
  if (text === undefined) throw new Error(`${shown(project.file, cwd)}: no such file`);
  const variableFiles: EnvFileText[] = [];
  if (envFlags.length > 0) {
    for (const f of envFlags) {
      const abs = path.resolve(cwd, f);
      const envText = await readTextIfExists(abs);
      if (envText === undefined) throw new Error(`--env ${f}: no such file`);
      variableFiles.push({ file: shown(abs, cwd), text: envText });
    }
  } else {
    const dotEnv = path.join(project.dir, '.env');
    variableFiles.push({ file: shown(dotEnv, cwd), text: await readTextIfExists(dotEnv) });
  }
  const base = { file: shown(project.file, cwd), text, projectDir: project.dir, defaultName: path.basename(project.dir), variableFiles, environment };
  const envFiles = new Map<string, EnvFileText>();
  for (const p of envFilesOf(base)) envFiles.set(p, { file: shown(p, cwd), text: await readTextIfExists(p) });
  return { ...base, envFiles };
}
