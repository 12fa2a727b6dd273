/**
 * A service's lists and maps of small values → the manifest's: `labels`, `sysctls`, `extra_hosts`, `ulimits`,
 * `cap_add`/`cap_drop` and `security_opt` (to `security.noNewPrivileges`, or to a `quadlet:` key where podman has
 * one: `label=…` → `SecurityLabel*=`, `seccomp=…` → `SeccompProfile=`, `mask=`/`unmask=` → `Mask=`/`Unmask=`).
 */
import type { ContainerSpec, HostEntry } from '../manifest/types.js';
import { manifestSchema } from '../manifest/schema.js';
import { seg, type Findings } from './findings.js';

type Defs = Record<string, { enum?: string[]; properties?: Record<string, { propertyNames?: { enum?: string[] } }> }>;
const defs = manifestSchema.$defs as Defs;
/** The schema's own lists: one truth for what a manifest takes. */
const CAPABILITIES = new Set(defs.capability!.enum!);
const ULIMITS = new Set(defs.container!.properties!.ulimits!.propertyNames!.enum!);

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$/;
const SYSCTL_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_*-]+)+$/;
const SYSCTL_VALUE = /^[A-Za-z0-9 ._:/-]+$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IP = /^(?:host-gateway|(?:[0-9]{1,3})(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})$/;

/** A mapping, or a list of `KEY=VALUE` (`separator`), as `[key, value, pointer]` triples. */
export function pairs(value: unknown, pointer: string, findings: Findings, what: string, separators = '='): Array<[string, string | undefined, string]> {
  if (Array.isArray(value)) {
    return value.flatMap((item, i): Array<[string, string | undefined, string]> => {
      if (typeof item !== 'string') {
        findings.drop(`${pointer}${seg(i)}`, `this ${what}`, `a list of ${what}s holds KEY${separators[0]}VALUE strings`);
        return [];
      }
      const at = [...separators].map((s) => item.indexOf(s)).filter((n) => n > 0).sort((a, b) => a - b)[0];
      return [[at === undefined ? item : item.slice(0, at), at === undefined ? undefined : item.slice(at + 1), `${pointer}${seg(i)}`]];
    });
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([k, v]): [string, string | undefined, string] => [k, v === null || v === undefined ? undefined : String(v), `${pointer}${seg(k)}`]);
  }
  findings.drop(pointer, `${what}s`, 'must be a mapping or a list');
  return [];
}

export function convertLabels(value: unknown, pointer: string, spec: ContainerSpec, findings: Findings): void {
  for (const [key, v, at] of pairs(value, pointer, findings, 'label')) {
    if (!LABEL_KEY.test(key) || /[\x00-\x1f\x7f]/.test(v ?? '')) findings.drop(at, `label ${JSON.stringify(key)}`, 'a label key is letters, digits, ., _, / and -, and its value one line');
    else (spec.labels ??= {})[key] = v ?? '';
  }
}

export function convertSysctls(value: unknown, pointer: string, spec: ContainerSpec, findings: Findings): void {
  for (const [name, v, at] of pairs(value, pointer, findings, 'sysctl')) {
    if (!SYSCTL_NAME.test(name) || v === undefined || !SYSCTL_VALUE.test(v)) findings.drop(at, `sysctl ${JSON.stringify(name)}`, 'a sysctl is a dotted lowercase name with a value of letters, digits, blanks and . _ : / -');
    else (spec.sysctls ??= {})[name] = v;
  }
}

/** `extra_hosts`: `HOST:IP`, `HOST=IP` (an IPv6 address after `=`, or in brackets after `:`), or a mapping. */
export function convertExtraHosts(value: unknown, pointer: string, spec: ContainerSpec, findings: Findings): void {
  const entries: Array<[string, string | undefined, string]> = Array.isArray(value)
    ? value.map((item, i): [string, string | undefined, string] => {
        const text = String(item);
        const eq = text.indexOf('=');
        const colon = text.indexOf(':');
        const at = eq > 0 ? eq : colon;
        return at > 0 ? [text.slice(0, at), text.slice(at + 1), `${pointer}${seg(i)}`] : [text, undefined, `${pointer}${seg(i)}`];
      })
    : pairs(value, pointer, findings, 'host');
  for (const [host, raw, at] of entries) {
    const ip = raw?.replace(/^\[(.*)\]$/, '$1');
    if (!HOST.test(host) || ip === undefined || !IP.test(ip)) {
      findings.drop(at, `host entry ${JSON.stringify(host)}`, 'an entry is HOST:IP with a host name and an IP address or host-gateway');
      continue;
    }
    const entry: HostEntry = { host, ip };
    (spec.hosts ??= []).push(entry);
  }
}

export function convertUlimits(value: unknown, pointer: string, spec: ContainerSpec, findings: Findings): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    findings.drop(pointer, 'ulimits', 'must be a mapping of name → limit');
    return;
  }
  const int = (x: unknown): number | undefined => (typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : typeof x === 'string' && /^[0-9]+$/.test(x) ? Number(x) : undefined);
  for (const [name, limit] of Object.entries(value)) {
    const at = `${pointer}${seg(name)}`;
    if (!ULIMITS.has(name)) {
      findings.drop(at, `ulimit ${JSON.stringify(name)}`, `a manifest knows ${[...ULIMITS].join(', ')}`);
      continue;
    }
    const both = int(limit);
    const soft = int((limit as { soft?: unknown } | null)?.soft);
    const hard = int((limit as { hard?: unknown } | null)?.hard);
    if (both !== undefined) (spec.ulimits ??= {})[name] = both;
    else if (soft !== undefined && hard !== undefined) (spec.ulimits ??= {})[name] = { soft, hard };
    else if ([limit, (limit as { soft?: unknown } | null)?.soft, (limit as { hard?: unknown } | null)?.hard].includes(-1)) findings.drop(at, `ulimit ${name} unlimited (-1)`, 'a manifest ulimit is a number of 0 or more; it has no unlimited', 'give a large number instead');
    else findings.drop(at, `ulimit ${name}`, 'a limit is a whole number, or soft and hard');
  }
}

/** `cap_add` / `cap_drop` → `security.capAdd` / `security.capDrop` (`CAP_` prefix and case dropped). */
export function convertCaps(value: unknown, pointer: string, key: 'capAdd' | 'capDrop', spec: ContainerSpec, findings: Findings): void {
  if (!Array.isArray(value)) {
    findings.drop(pointer, 'capabilities', 'must be a list');
    return;
  }
  value.forEach((cap, i) => {
    const name = String(cap).toUpperCase().replace(/^CAP_/, '');
    if (!CAPABILITIES.has(name)) {
      findings.drop(`${pointer}${seg(i)}`, `capability ${JSON.stringify(cap)}`, 'no capability of capabilities(7)');
      return;
    }
    const list = ((spec.security ??= {})[key] ??= []);
    if (!list.includes(name)) list.push(name);
  });
}

/** Where a `security_opt` lands: a manifest field, a `quadlet:` key of podman 5.4's [Container] group, or nowhere. */
export function convertSecurityOpts(value: unknown, pointer: string, spec: ContainerSpec, findings: Findings): void {
  if (!Array.isArray(value)) {
    findings.drop(pointer, 'security_opt', 'must be a list');
    return;
  }
  const raw = (key: string, v: string): void => {
    const section = ((spec.quadlet ??= {}).Container ??= {});
    const old = section[key];
    section[key] = old === undefined ? v : [...(Array.isArray(old) ? old : [old]), v];
  };
  value.forEach((opt, i) => {
    const at = `${pointer}${seg(i)}`;
    const text = String(opt);
    const [name, arg = ''] = text.split(/[=:](.*)/s) as [string, string?];
    if (name === 'no-new-privileges') {
      if (arg === '' || arg === 'true') (spec.security ??= {}).noNewPrivileges = true;
      return;
    }
    if (name === 'label') {
      const [kind, level] = arg.split(/:(.*)/s) as [string, string?];
      const key = { disable: 'SecurityLabelDisable', nested: 'SecurityLabelNested', type: 'SecurityLabelType', level: 'SecurityLabelLevel', filetype: 'SecurityLabelFileType' }[kind];
      if (key !== undefined && (kind === 'disable' || kind === 'nested' || (level !== undefined && level !== ''))) {
        raw(key, kind === 'disable' || kind === 'nested' ? 'true' : level!);
        findings.note(at, `security_opt ${text} → quadlet: Container: ${key}`);
        return;
      }
    }
    if (name === 'seccomp' && arg !== '') {
      raw('SeccompProfile', arg);
      findings.note(at, `security_opt ${text} → quadlet: Container: SeccompProfile`);
      return;
    }
    if ((name === 'mask' || name === 'unmask') && arg !== '') {
      raw(name === 'mask' ? 'Mask' : 'Unmask', arg);
      findings.note(at, `security_opt ${text} → quadlet: Container: ${name === 'mask' ? 'Mask' : 'Unmask'}`);
      return;
    }
    findings.drop(at, `security_opt ${JSON.stringify(text)}`, 'no manifest field and no Quadlet key of podman 5.4 sets it (AppArmor profiles, for one, are not supported by Quadlet)');
  });
}
