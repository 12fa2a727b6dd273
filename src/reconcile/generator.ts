/**
 * The node's own Quadlet generator as the judge of new unit files: the
 * would-be unit directory (what is on disk with the plan's writes and removals
 * applied) is staged in a temp dir and converted with `quadlet -dryrun`. A unit
 * it does not turn into a service is rejected before it is installed — podman
 * itself would otherwise drop the running service at the next daemon-reload.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseUnitFileName } from '../naming.js';
import type { Observed, Step } from './types.js';

export { DEFAULT_GENERATOR } from '../defaults.js';

/** The generator could not be run at all (missing binary, crash). CLI exit 3. */
export class GeneratorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeneratorError';
  }
}

export interface GeneratorOptions {
  /** argv prefix of the generator, e.g. `['/usr/libexec/podman/quadlet']`. `-dryrun` (and `-user`) are appended. */
  command: readonly string[];
  /** Rootless units (`quadlet -user`). */
  user?: boolean;
}

/** A unit file the generator refused, with its words. */
export interface Rejection {
  name: string;
  reason: string;
}

/** The result of one dry run: the services it generated, the unit files it converted, and its stderr. */
export interface DryRun {
  services: Set<string>;
  /** Base names of the unit files a service was generated from (each service's `SourcePath=`). */
  sources: Set<string>;
  stderr: string;
}

/** Runs the generator in dry-run over `dir`. Throws GeneratorError when it cannot be run or prints nothing parseable. */
export function dryRun(dir: string, opts: GeneratorOptions): Promise<DryRun> {
  const [cmd, ...args] = opts.command;
  if (!cmd) throw new GeneratorError('no Quadlet generator command given');
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...args, '-dryrun', ...(opts.user ? ['-user'] : [])],
      { env: { ...process.env, QUADLET_UNIT_DIRS: dir }, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        // Exit 1 only means "some unit failed"; anything else is the generator itself failing.
        const code = (err as { code?: unknown } | null)?.code;
        if (err && code !== 1) {
          reject(new GeneratorError(`Quadlet generator ${cmd} could not run (${err.message.split('\n')[0]}); install podman or pass --generator PATH`));
          return;
        }
        const services = new Set<string>();
        for (const m of stdout.matchAll(/^---(.+\.service)---$/gm)) services.add(m[1]!);
        const sources = new Set<string>();
        for (const m of stdout.matchAll(/^SourcePath=(.+)$/gm)) sources.add(basename(m[1]!.trim()));
        resolve({ services, sources, stderr });
      },
    );
  });
}

/** The generator's reason for `name` (its `converting "NAME": …` line), if it printed one. */
export function reasonFor(stderr: string, name: string): string | undefined {
  const quoted = JSON.stringify(name);
  for (const line of stderr.split('\n')) {
    const at = line.indexOf(`converting ${quoted}: `);
    if (at >= 0) return line.slice(at + `converting ${quoted}: `.length).trim();
  }
  return undefined;
}

/**
 * Stages the unit dir as `steps` would leave it and returns every unit the
 * steps write that the generator did not convert. Files the steps do not write
 * (someone else's, or ours unchanged) are staged but never reported.
 */
export async function rejectedUnits(observed: Observed, steps: readonly Step[], opts: GeneratorOptions): Promise<Rejection[]> {
  const staged = new Map<string, string>();
  for (const [name, f] of Object.entries(observed.units)) staged.set(name, f.content);
  const written = new Set<string>();
  for (const s of steps) {
    if (s.action === 'write-unit') {
      staged.set(s.file.name, s.file.content);
      written.add(s.file.name);
    } else if (s.action === 'remove-unit') {
      staged.delete(s.name);
    }
  }
  const checked = [...written].filter((n) => parseUnitFileName(n) !== undefined);
  if (checked.length === 0) return [];
  const dir = await mkdtemp(join(tmpdir(), 'archy-quadlet-stage-'));
  try {
    await Promise.all([...staged].map(([name, content]) => writeFile(join(dir, name), content)));
    // A converted file is the SourcePath= of a generated service (its service may be named by ServiceName=).
    const { sources, stderr } = await dryRun(dir, opts);
    return checked
      .filter((n) => !sources.has(n))
      .map((name) => {
        // The generator names the staged path; the node's unit dir is what a reader knows.
        const why = (reasonFor(stderr, name) ?? 'it generated no service for it').split(`${dir}/`).join('units/');
        return { name, reason: `the Quadlet generator rejects units/${name}: ${why}` };
      });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
