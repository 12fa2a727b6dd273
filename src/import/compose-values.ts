/**
 * Compose's value forms → the manifest's: durations (`1m30s` → `90s`), byte sizes (`64m` → `64Mi`), image
 * references (a short name qualified), signals, names (→ DNS labels) and host paths (relative → absolute).
 * Each returns the converted value, or undefined with the reason.
 */

export type Converted<T> = { ok: true; value: T; note?: string } | { ok: false; why: string };

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A compose duration (Go's `time.ParseDuration` form: `1m30s`, `1.5s`, `500ms`, `2h`) → milliseconds.
 * @returns undefined when `text` is no such duration.
 */
export function composeDurationMs(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const parts = [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
}

/** Milliseconds → the manifest's duration: the largest unit that divides it (`90000` → `90s`, `120000` → `2m`). */
export function manifestDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0 && ms > 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A compose duration → the manifest's form; sub-millisecond parts are rounded up (with a note). */
export function duration(text: unknown): Converted<string> {
  if (typeof text !== 'string' && typeof text !== 'number') return { ok: false, why: 'a duration is text such as 1m30s' };
  const ms = composeDurationMs(text);
  if (ms === undefined) return { ok: false, why: `${JSON.stringify(text)} is no duration (e.g. 30s, 1m30s, 500ms)` };
  const whole = Math.ceil(ms);
  return { ok: true, value: manifestDuration(whole), ...(whole !== ms ? { note: `rounded ${text} up to ${whole}ms` } : {}) };
}

/** A duration in whole seconds (podman's StopTimeout=), rounded up. */
export function wholeSeconds(text: unknown): Converted<string> {
  const d = duration(text);
  if (!d.ok) return d;
  const ms = composeDurationMs(text as string)!;
  const s = Math.ceil(ms / 1000);
  if (s === 0) return { ok: false, why: 'a stop timeout of 0 s kills the container at once' };
  return { ok: true, value: manifestDuration(s * 1000), ...(s * 1000 !== ms ? { note: `rounded ${text} up to ${s}s (podman counts whole seconds)` } : {}) };
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

/**
 * A compose byte size (`2gb`, `64m`, `1.5g`, `1024`, as docker's units: 1024-based) → the manifest's IEC size
 * (`2Gi`, `64Mi`, `1536Mi`, `1Ki`).
 */
export function byteSize(text: unknown): Converted<string> {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)$/i.exec(String(text).trim());
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || (typeof text !== 'string' && typeof text !== 'number')) return { ok: false, why: `${JSON.stringify(text)} is no byte size (e.g. 64m, 2gb, 1048576)` };
  const bytes = Math.round(Number(m[1]) * unit);
  if (bytes < 1) return { ok: false, why: 'a size must be at least one byte' };
  for (const [suffix, size] of [['Ti', 1024 ** 4], ['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % size === 0) return { ok: true, value: `${bytes / size}${suffix}` };
  }
  return { ok: true, value: String(bytes) };
}

const IMAGE = /^(?:([A-Za-z0-9.-]+(?::[0-9]+)?|\[[0-9A-Fa-f:]+\](?::[0-9]+)?)\/)?([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/**
 * An image reference → a fully qualified, pinned one. A first component without `.` or `:` and other than
 * `localhost` is no registry: the name is Docker Hub's, as docker and compose read it (`nginx:1.27` →
 * `docker.io/library/nginx:1.27`, `lnd/lnd:v1` → `docker.io/lnd/lnd:v1`); `index.docker.io` is `docker.io`.
 * No tag and no digest is `:latest` (a note asks for a version).
 */
export function qualifyImage(text: unknown): Converted<string> & { notes?: string[] } {
  if (typeof text !== 'string' || text === '') return { ok: false, why: 'an image is a name such as nginx:1.27' };
  const m = IMAGE.exec(text);
  if (!m) return { ok: false, why: `${JSON.stringify(text)} is no image reference (lowercase name, then :tag and/or @sha256:digest)` };
  let [, first, path, tag, digest] = m;
  const notes: string[] = [];
  const isRegistry = first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  if (!isRegistry) {
    path = first === undefined ? path! : `${first}/${path}`;
    first = 'docker.io';
  }
  if (first === 'index.docker.io' || first === 'registry-1.docker.io') first = 'docker.io';
  if (first === 'docker.io' && !path!.includes('/')) path = `library/${path}`;
  if (tag === undefined && digest === undefined) {
    tag = 'latest';
    notes.push('no tag or digest: pinned to :latest, which is no version');
  }
  const value = `${first}/${path}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  if (!isRegistry) notes.unshift(`short name ${JSON.stringify(text)} qualified as ${JSON.stringify(value)} (Docker Hub, as compose reads it)`);
  return { ok: true, value, ...(notes.length ? { notes } : {}) };
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGKILL', 'SIGABRT', 'SIGALRM', 'SIGPWR', 'SIGWINCH', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGPIPE'];
const SIGNAL_NUMBERS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 10: 'SIGUSR1', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };

/** `SIGINT`, `INT`, `sigint` or `2` → `SIGINT`, when the manifest knows that signal. */
export function signal(text: unknown): Converted<string> {
  const name = typeof text === 'number' ? SIGNAL_NUMBERS[text] : typeof text === 'string' ? (/^[0-9]+$/.test(text) ? SIGNAL_NUMBERS[Number(text)] : `SIG${text.toUpperCase().replace(/^SIG/, '')}`) : undefined;
  if (name === undefined || !SIGNALS.includes(name)) return { ok: false, why: `${JSON.stringify(text)} is not one of the stop signals a manifest takes (${SIGNALS.join(', ')})` };
  return { ok: true, value: name };
}

/** A name → a DNS label: lowercase, `_`, `.` and blanks become `-`, other characters go; undefined when nothing is left. */
export function dnsLabel(name: string): string | undefined {
  const label = name
    .toLowerCase()
    .replace(/[_.\s]+/g, '-')
    .replace(/[^a-z0-9-]/g, '')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? undefined : label;
}

/** Joins and normalizes POSIX paths (`/srv/app` + `./data/../db` → `/srv/app/db`); `rel` absolute wins. */
export function resolvePath(base: string, rel: string): string {
  const parts: string[] = [];
  for (const part of `${rel.startsWith('/') ? '' : base}/${rel}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/**
 * A host path as compose reads it: `~` is `home`, a relative path is relative to the project directory.
 * @returns the absolute path, and whether it was relative (worth a note).
 */
export function hostPath(text: string, projectDir: string, home: string | undefined): Converted<string> {
  if (text === '~' || text.startsWith('~/')) {
    if (home === undefined) return { ok: false, why: `${JSON.stringify(text)} starts with ~ and HOME is not set` };
    return { ok: true, value: resolvePath(home, text.slice(2)), note: `${text} resolved to ${resolvePath(home, text.slice(2))}` };
  }
  const value = resolvePath(projectDir, text);
  return { ok: true, value, ...(text.startsWith('/') ? {} : { note: `relative path ${text} resolved against the project directory: ${value}` }) };
}
