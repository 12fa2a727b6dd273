/**
 * Values of existing units and containers → the manifest's: whether a unit-file value is literal text (no systemd
 * specifier, no variable), systemd time spans, and the manifest schema's own patterns (one truth for what a field
 * takes), so a value that does not fit a field can go to the `quadlet:` escape hatch as written instead.
 */
import { manifestSchema } from '../manifest/schema.js';
import type { Converted } from './compose-values.js';

type Defs = Record<string, { pattern?: string; enum?: string[]; properties?: Record<string, { pattern?: string; enum?: string[]; propertyNames?: { pattern?: string; enum?: string[] } }> }>;
const defs = manifestSchema.$defs as Defs;
const container = defs.container!.properties!;

const PATTERNS = {
  dnsLabel: defs.dnsLabel!.pattern!,
  absPath: defs.absPath!.pattern!,
  envName: defs.envName!.pattern!,
  secretName: defs.secretName!.pattern!,
  ipAddress: defs.ipAddress!.pattern!,
  user: container.user!.pattern!,
  labelKey: container.labels!.propertyNames!.pattern!,
};
const COMPILED = Object.fromEntries(Object.entries(PATTERNS).map(([k, p]) => [k, new RegExp(p, 'u')])) as Record<keyof typeof PATTERNS, RegExp>;

/** Whether `value` matches the schema's pattern for `kind` (a DNS label, an absolute path, …). */
export function fits(kind: keyof typeof PATTERNS, value: string): boolean {
  return COMPILED[kind].test(value);
}

/** The schema's restart values. */
export const RESTART_VALUES: readonly string[] = container.restart!.enum!;
/** The capabilities a manifest takes (capabilities(7) without `CAP_`). */
export const CAPABILITIES: ReadonlySet<string> = new Set(defs.capability!.enum!);
/** The ulimits a manifest takes. */
export const ULIMIT_NAMES: ReadonlySet<string> = new Set(container.ulimits!.propertyNames!.enum!);

/**
 * A unit-file value as literal text for a manifest field, which the renderer escapes again: `%%` → `%`, and in a
 * podman group (`[Container]`, whose values reach `ExecStart=`) `$$` → `$`. A systemd specifier (`%h`, `%N`) or a
 * variable (`$X`, `${X}`) is expanded by systemd when the unit runs: such a value is not literal, and only the
 * escape hatch keeps it as written.
 */
export function literalText(value: string, podmanGroup: boolean): Converted<string> {
  const specifier = /%[^%]/.exec(value.replaceAll('%%', ''));
  if (specifier) return { ok: false, why: `it holds the systemd specifier ${specifier[0]}, which systemd expands when the unit runs` };
  if (podmanGroup && value.replaceAll('$$', '').includes('$')) return { ok: false, why: 'it holds a $ that systemd expands as a variable when the unit runs' };
  let text = value.replaceAll('%%', '%');
  if (podmanGroup) text = text.replaceAll('$$', '$');
  return { ok: true, value: text };
}

const SPAN_UNITS: Record<string, number> = {
  us: 1e-3, usec: 1e-3, µs: 1e-3, ms: 1, msec: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** A systemd time span (systemd.time(7): `90`, `5min`, `1h 30m`, `2s500ms`; a bare number is seconds) → ms. */
export function timeSpanMs(text: string): number | undefined {
  const t = text.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(t)) return Number(t) * 1000;
  const parts = [...t.matchAll(/([0-9]+(?:\.[0-9]+)?)\s*([a-zµ]+)\s*/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t.replace(/^\s+/, '')) return undefined;
  let ms = 0;
  for (const [, n, unit] of parts) {
    const size = SPAN_UNITS[unit!];
    if (size === undefined) return undefined;
    ms += Number(n) * size;
  }
  return ms;
}
