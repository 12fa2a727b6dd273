/**
 * Compose `volumes`, `tmpfs` and `devices` of a service → the manifest's `volumes` (named), `binds` (host paths),
 * `tmpfs` and `devices`. Short syntax `SOURCE:TARGET[:MODE]` (a source starting with `/`, `.` or `~` is a host
 * path, anything else a named volume; `MODE` a comma list of `ro`, `rw`, `z`, `Z`, `nocopy`, propagation), a bare
 * `TARGET` (an anonymous volume), and the long syntax (`type: volume | bind | tmpfs`, `source`, `target`,
 * `read_only`, `bind.selinux`, `tmpfs.size`, `tmpfs.mode`). A top-level volume whose `driver_opts` bind a host
 * directory (`o: bind`, `device: /path`) is that bind.
 */
import type { BindMount, ContainerSpec, DeviceSpec, TmpfsSpec, VolumeMount } from '../manifest/types.js';
import { byteSize, dnsLabel, hostPath } from './compose-values.js';
import { seg, type Findings } from './findings.js';

/** What a service's mounts need from the rest of the project. */
export interface MountContext {
  findings: Findings;
  projectDir: string;
  home: string | undefined;
  /** The project's top-level `volumes`, by name. */
  topVolumes: Record<string, unknown>;
}

const ABS_PATH = /^(?:\/(?!\.{1,2}(?:\/|$))[^/:,\x00-\x1f\x7f]+)+$|^\/$/;

interface Mount {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target: string;
  readOnly: boolean;
  relabel?: 'z' | 'Z';
  size?: unknown;
  mode?: unknown;
}

/** Adds the service's `volumes` (`pointer`: the list) to `spec`. */
export function convertVolumes(list: unknown, pointer: string, spec: ContainerSpec, ctx: MountContext): void {
  if (!Array.isArray(list)) {
    ctx.findings.drop(pointer, 'volumes', 'must be a list');
    return;
  }
  list.forEach((entry, i) => {
    const at = `${pointer}${seg(i)}`;
    const mount = typeof entry === 'string' ? shortMount(entry, at, ctx.findings) : entry !== null && typeof entry === 'object' ? longMount(entry as Record<string, unknown>, at, ctx.findings) : undefined;
    if (mount === undefined) {
      if (typeof entry !== 'string' && (entry === null || typeof entry !== 'object')) ctx.findings.drop(at, 'this volume', 'a volume is a string such as data:/var/lib/data or a mapping with type and target');
      return;
    }
    if (!ABS_PATH.test(mount.target)) {
      ctx.findings.drop(at, `volume ${JSON.stringify(entry)}`, `the container path ${JSON.stringify(mount.target)} is no plain absolute path (no ., .., //, trailing /, : or ,)`);
      return;
    }
    addMount(mount, at, spec, ctx);
  });
}

function addMount(mount: Mount, at: string, spec: ContainerSpec, ctx: MountContext): void {
  if (mount.type === 'tmpfs') {
    const tmpfs = tmpfsSpec(mount.target, mount.size, mount.mode, at, ctx.findings);
    if (tmpfs) (spec.tmpfs ??= []).push(tmpfs);
    return;
  }
  let source = mount.source;
  if (mount.type === 'volume') {
    if (source === undefined || source === '') {
      const name = dnsLabel(mount.target.replaceAll('/', '-')) ?? 'data';
      ctx.findings.note(at, `anonymous volume at ${mount.target} becomes the named volume ${JSON.stringify(name)}`);
      source = name;
    } else {
      const bound = boundDevice(ctx.topVolumes[source]);
      if (bound !== undefined) {
        ctx.findings.note(at, `volume ${JSON.stringify(source)} binds ${bound} (driver_opts o: bind): imported as that bind`);
        pushBind({ source: bound, target: mount.target, readOnly: mount.readOnly, relabel: mount.relabel }, at, spec, ctx);
        return;
      }
      checkTopVolume(source, ctx);
    }
    const name = dnsLabel(source);
    if (name === undefined) {
      ctx.findings.drop(at, `volume ${JSON.stringify(source)}`, 'its name has no letter or digit to make a volume name of');
      return;
    }
    if (name !== source) ctx.findings.note(at, `volume ${JSON.stringify(source)} is named ${JSON.stringify(name)} (volume names are DNS labels)`);
    if (mount.relabel) ctx.findings.drop(at, `relabel ${mount.relabel} of a named volume`, 'the manifest relabels binds only (podman labels its own volumes)');
    const volume: VolumeMount = { name, target: mount.target };
    if (mount.readOnly) volume.readOnly = true;
    (spec.volumes ??= []).push(volume);
    return;
  }
  if (source !== undefined && !source.startsWith('/') && !source.startsWith('~') && escapes(source)) {
    ctx.findings.drop(at, `bind ${JSON.stringify(source)}`, 'the relative path leaves the project directory', 'write the absolute host path if that is meant');
    return;
  }
  const resolved = hostPath(source ?? '', ctx.projectDir, ctx.home);
  if (!resolved.ok) {
    ctx.findings.drop(at, `bind ${JSON.stringify(source)}`, resolved.why);
    return;
  }
  if (resolved.note) ctx.findings.note(at, resolved.note);
  pushBind({ source: resolved.value, target: mount.target, readOnly: mount.readOnly, relabel: mount.relabel }, at, spec, ctx);
}

function pushBind(b: { source: string; target: string; readOnly: boolean; relabel: 'z' | 'Z' | undefined }, at: string, spec: ContainerSpec, ctx: MountContext): void {
  if (!ABS_PATH.test(b.source)) {
    ctx.findings.drop(at, `bind of ${JSON.stringify(b.source)}`, 'a host path with : or , cannot be written as a Quadlet Volume=');
    return;
  }
  const bind: BindMount = { source: b.source, target: b.target };
  if (b.readOnly) bind.readOnly = true;
  if (b.relabel) bind.relabel = b.relabel;
  (spec.binds ??= []).push(bind);
}

/** Whether a relative path climbs above its start (`../x`, `a/../../x`). */
function escapes(rel: string): boolean {
  let depth = 0;
  for (const part of rel.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/** The host directory a top-level volume binds through the local driver (`type: none`, `o: bind`, `device: /path`). */
function boundDevice(top: unknown): string | undefined {
  const opts = (top as { driver_opts?: Record<string, unknown> } | null)?.driver_opts;
  if (!opts || typeof opts.device !== 'string' || !String(opts.o ?? '').split(',').includes('bind')) return undefined;
  return opts.device.startsWith('/') ? opts.device : undefined;
}

/** What a top-level volume asks that a manifest's volume does not do. */
function checkTopVolume(name: string, ctx: MountContext): void {
  const top = ctx.topVolumes[name];
  if (top === null || typeof top !== 'object') return;
  const at = `/volumes${seg(name)}`;
  for (const [key, value] of Object.entries(top as Record<string, unknown>)) {
    if (key.startsWith('x-') || key === 'labels') continue;
    if (key === 'external' && value) ctx.findings.drop(`${at}/external`, `external volume ${JSON.stringify(name)}`, 'the manifest makes its own volume; the existing one and its data are not used', 'copy its data into the new volume, or bind its directory instead');
    else if (key === 'name') ctx.findings.drop(`${at}/name`, `volume name ${JSON.stringify(value)}`, 'the manifest names its volumes <app>-<name>; a volume of that name and its data are not used');
    else if (key === 'driver' && value !== 'local') ctx.findings.drop(`${at}/driver`, `volume driver ${JSON.stringify(value)}`, 'a manifest volume uses podman\'s local driver');
    else if (key === 'driver_opts') ctx.findings.drop(`${at}/driver_opts`, 'driver_opts', 'a manifest volume takes no driver options (only o: bind with a device is read, as a bind)');
  }
}

function shortMount(text: string, at: string, findings: Findings): Mount | undefined {
  const parts = text.split(':');
  if (parts.length === 1) return { type: 'volume', target: text, readOnly: false };
  if (parts.length > 3) {
    findings.drop(at, `volume ${JSON.stringify(text)}`, 'more than SOURCE:TARGET:MODE (a : inside a path cannot be mounted)');
    return undefined;
  }
  const [source, target, modes = ''] = parts as [string, string, string?];
  const mount: Mount = { type: /^[/.~]/.test(source) ? 'bind' : 'volume', source, target, readOnly: false };
  for (const mode of modes.split(',').filter((m) => m !== '')) {
    if (mode === 'ro') mount.readOnly = true;
    else if (mode === 'z' || mode === 'Z') mount.relabel = mode;
    else if (mode !== 'rw') findings.drop(at, `mount option ${JSON.stringify(mode)}`, 'a manifest mount is read-only or not, and relabelled or not; no other option');
  }
  return mount;
}

function longMount(v: Record<string, unknown>, at: string, findings: Findings): Mount | undefined {
  const type = v.type ?? 'volume';
  if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') {
    findings.drop(`${at}/type`, `a ${JSON.stringify(type)} mount`, 'a manifest mounts volumes, host paths and tmpfs');
    return undefined;
  }
  if (typeof v.target !== 'string') {
    findings.drop(at, 'this mount', 'it has no target path');
    return undefined;
  }
  const mount: Mount = { type, target: v.target, readOnly: v.read_only === true };
  if (typeof v.source === 'string') mount.source = v.source;
  for (const [key, value] of Object.entries(v)) {
    const where = `${at}${seg(key)}`;
    if (['type', 'source', 'target', 'read_only', 'consistency'].includes(key) || key.startsWith('x-')) continue;
    const sub = (value ?? {}) as Record<string, unknown>;
    if (key === 'bind' && type === 'bind') {
      if (sub.selinux === 'z' || sub.selinux === 'Z') mount.relabel = sub.selinux;
      if (sub.create_host_path === false) findings.note(where, 'create_host_path: false is not kept: podman creates a missing host directory');
      if (sub.propagation !== undefined) findings.drop(`${where}/propagation`, `bind propagation ${JSON.stringify(sub.propagation)}`, 'a manifest bind has no propagation option');
    } else if (key === 'tmpfs' && type === 'tmpfs') {
      mount.size = sub.size;
      mount.mode = sub.mode;
    } else if (key === 'volume' && type === 'volume') {
      for (const opt of Object.keys(sub)) findings.drop(`${where}${seg(opt)}`, `volume option ${opt}`, 'a manifest volume mount has no such option');
    } else {
      findings.drop(where, key, `no option of a ${type} mount in a manifest`);
    }
  }
  return mount;
}

/** A tmpfs mount; `size` a compose byte size, `mode` octal (a number in YAML is read as its digits). */
function tmpfsSpec(target: string, size: unknown, mode: unknown, at: string, findings: Findings): TmpfsSpec | undefined {
  if (!ABS_PATH.test(target)) {
    findings.drop(at, `tmpfs ${JSON.stringify(target)}`, 'not a plain absolute path');
    return undefined;
  }
  if (size === undefined && mode === undefined) return target;
  const spec: { target: string; size?: string; mode?: string } = { target };
  if (size !== undefined) {
    const s = byteSize(size);
    if (s.ok) spec.size = s.value;
    else findings.drop(`${at}/size`, 'the tmpfs size', s.why);
  }
  if (mode !== undefined) {
    // `mode: 1777` in YAML is the number 1777, written as the octal digits people mean; other numbers are modes.
    const text = typeof mode === 'number' ? (/^[0-7]{3,4}$/.test(String(mode)) ? String(mode) : mode.toString(8)) : String(mode);
    if (/^[0-7]{3,4}$/.test(text)) spec.mode = text;
    else findings.drop(`${at}/mode`, 'the tmpfs mode', `${JSON.stringify(mode)} is no octal mode`);
  }
  return spec.size === undefined && spec.mode === undefined ? target : spec;
}

/** The service's `tmpfs` (a path or a list; `PATH:size=…,mode=…` options) into `spec.tmpfs`. */
export function convertTmpfs(value: unknown, pointer: string, spec: ContainerSpec, findings: Findings): void {
  const list = Array.isArray(value) ? value : [value];
  list.forEach((entry, i) => {
    const at = Array.isArray(value) ? `${pointer}${seg(i)}` : pointer;
    if (typeof entry !== 'string') {
      findings.drop(at, 'this tmpfs', 'a tmpfs is a container path');
      return;
    }
    const [target, optionText = ''] = entry.split(/:(.*)/s) as [string, string?];
    const opts = Object.fromEntries(optionText.split(',').filter((o) => o !== '').map((o) => o.split('=') as [string, string]));
    for (const key of Object.keys(opts)) if (key !== 'size' && key !== 'mode') findings.drop(at, `tmpfs option ${key}`, 'a manifest tmpfs has a size and a mode only');
    // A tmpfs `mode` in the short form is octal text already: keep it a string.
    const spec2 = tmpfsSpec(target, opts.size, opts.mode, at, findings);
    if (spec2 !== undefined) (spec.tmpfs ??= []).push(spec2);
  });
}

/** The service's `devices` (`HOST[:CONTAINER[:PERMISSIONS]]`, or the long form with `source`/`target`/`permissions`). */
export function convertDevices(value: unknown, pointer: string, spec: ContainerSpec, findings: Findings): void {
  if (!Array.isArray(value)) {
    findings.drop(pointer, 'devices', 'must be a list');
    return;
  }
  value.forEach((entry, i) => {
    const at = `${pointer}${seg(i)}`;
    let host: string | undefined;
    let container: string | undefined;
    let permissions: string | undefined;
    if (typeof entry === 'string') {
      if (!entry.startsWith('/')) {
        findings.drop(at, `device ${JSON.stringify(entry)}`, 'a CDI device name needs podman\'s CDI configuration, which a manifest does not carry');
        return;
      }
      [host, container, permissions] = entry.split(':');
    } else if (entry !== null && typeof entry === 'object') {
      const e = entry as Record<string, unknown>;
      [host, container, permissions] = [e.source, e.target, e.permissions].map((x) => (typeof x === 'string' ? x : undefined));
    }
    if (host === undefined || !ABS_PATH.test(host) || (container !== undefined && container !== '' && !ABS_PATH.test(container)) || (permissions !== undefined && !/^(?!.*(.).*\1)[rwm]{1,3}$/.test(permissions))) {
      findings.drop(at, `device ${JSON.stringify(entry)}`, 'a device is HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]] with plain absolute paths and permissions of r, w, m');
      return;
    }
    const device: DeviceSpec = container === undefined && permissions === undefined ? host : { host, ...(container && container !== host ? { container } : {}), ...(permissions ? { permissions } : {}) };
    (spec.devices ??= []).push(device);
  });
}
