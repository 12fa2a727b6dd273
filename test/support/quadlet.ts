/**
 * Runs podman 5.4.2's real Quadlet generator (obtained and cached by
 * scripts/fetch-quadlet.sh) in dry-run mode over a directory of unit files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
let cachedBinary: string | undefined;

/** Path of the generator binary; fetches it on first use (a few seconds), cached in .cache/quadlet/. */
export function quadletBinary(): string {
  cachedBinary ??= execFileSync('sh', [resolve(REPO, 'scripts/fetch-quadlet.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return cachedBinary;
}

export interface DryRun {
  /** Generated services by name (`lnd.service`) → their text. */
  services: Map<string, string>;
  stderr: string;
  code: number;
  /** stderr lines other than the generator's "Loading source unit file" notes: its errors and warnings. */
  complaints: string[];
}

/**
 * `QUADLET_UNIT_DIRS=<dir> quadlet -dryrun` (with `user`, `-user`: rootless units, as a user manager's generator
 * runs); `dir` is made absolute (the generator refuses relative paths).
 */
export function runQuadletDryRun(dir: string, { user = false }: { user?: boolean } = {}): DryRun {
  const r = spawnSync(quadletBinary(), ['-dryrun', ...(user ? ['-user'] : [])], {
    encoding: 'utf8',
    env: { ...process.env, QUADLET_UNIT_DIRS: resolve(dir) },
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const services = new Map<string, string>();
  const parts = r.stdout.split(/^---([^\n]+\.service)---\n/m);
  for (let i = 1; i + 1 < parts.length; i += 2) services.set(parts[i]!, parts[i + 1]!);
  const complaints = r.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/Loading source unit file/.test(l));
  return { services, stderr: r.stderr, code: r.status ?? -1, complaints };
}

/** {@link runQuadletDryRun} over rendered files (`{ name, content }`), staged in a temp directory removed after. */
export function dryRunFiles(files: ReadonlyArray<{ name: string; content: string }>, opts: { user?: boolean } = {}): DryRun {
  const dir = mkdtempSync(join(tmpdir(), 'archy-dryrun-'));
  try {
    for (const f of files) writeFileSync(join(dir, f.name), f.content);
    return runQuadletDryRun(dir, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * podman 5.4.2's reading of `--health-cmd` (pkg/specgenutil/specgenutil.go, makeHealthCheckFromCli): a JSON list of
 * two or more words is exec form (`CMD`), one word or a text is handed to `/bin/sh -c` (`CMD-SHELL`), and a list
 * starting with `CMD` is split on blanks.
 */
export function podmanHealthTest(value: string): string[] {
  let words: string[];
  let isList = true;
  try {
    words = JSON.parse(value) as string[];
    if (!Array.isArray(words)) throw new Error('not a list');
  } catch {
    const at = value.indexOf(' ');
    words = at < 0 ? [value] : [value.slice(0, at), value.slice(at + 1)];
    isList = false;
  }
  const first = words[0]!.toUpperCase();
  if (first === 'CMD' || first === 'NONE') return value.split(/\s+/).filter((w) => w !== '');
  if (first === 'CMD-SHELL') return words;
  if (isList && words.length > 1) return ['CMD', ...words];
  return ['CMD-SHELL', words.join(' ')];
}
