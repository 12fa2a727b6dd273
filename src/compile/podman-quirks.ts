/**
 * Behaviours of podman that differ by version while the Quadlet key stays the same (issue 17, "Version quirks, not
 * only version keys"): one table, each entry with the versions it affects, the upstream record that documents it,
 * and what the compiler renders instead for an affected target. docs/quirks.md lists the table; podman-keys.ts holds
 * the other kind (which keys exist in which version).
 */
import type { ManifestContext } from './context.js';
import { compareVersions, formatVersion, type Version } from './podman-keys.js';

export type QuirkId = 'health-cmd-one-word' | 'lookup-strips-quotes' | 'empty-entrypoint' | 'environment-bare-key' | 'network-delete-on-stop';

export interface PodmanQuirk {
  id: QuirkId;
  /** First affected version (inclusive). */
  from: Version;
  /** First version without the quirk; undefined while no podman release fixes it. */
  until?: Version;
  /** The upstream issue, pull request or source that documents it. */
  upstream: string[];
  /** What podman does. */
  behaviour: string;
  /** What we render for an affected target instead. */
  instead: string;
}

/** Every quirk the compiler renders around, oldest first. */
export const PODMAN_QUIRKS: readonly PodmanQuirk[] = [
  {
    id: 'health-cmd-one-word',
    from: [5, 0, 0],
    upstream: ['https://github.com/containers/podman/blob/main/pkg/specgenutil/specgenutil.go', 'makeHealthCheckFromCli; podman-run(1) --health-cmd'],
    behaviour: '`--health-cmd \'["prog"]\'` (a JSON list of one word) becomes `CMD-SHELL prog`: podman runs `/bin/sh -c prog`, which never passes in an image without a shell',
    instead: '`HealthCmd=CMD prog`: podman splits a text that starts with `CMD` on blanks and runs it without a shell; a one-word command with a blank is refused',
  },
  {
    id: 'lookup-strips-quotes',
    from: [5, 0, 0],
    until: [5, 8, 2],
    upstream: ['https://github.com/containers/podman/issues/28409', 'https://github.com/containers/podman/pull/28414'],
    behaviour: 'Quadlet\'s `Lookup()` strips `"` characters that are not paired from a value (`HealthCmd=` with embedded quotes reaches podman without them)',
    instead: '`HealthCmd=` as a JSON list (our quoting pairs every quote; shown through the 5.4.2 generator); the one-word `CMD prog` form is refused when `prog` holds a `"`',
  },
  {
    id: 'empty-entrypoint',
    from: [5, 0, 0],
    until: [5, 8, 2],
    upstream: ['https://github.com/containers/podman/issues/28213', 'https://github.com/containers/podman/pull/28279'],
    behaviour: 'an empty `Entrypoint=` adds no `--entrypoint`: the image\'s entrypoint stays',
    instead: '`PodmanArgs=--entrypoint=` (podman clears the image\'s entrypoint); from 5.8.2 `Entrypoint=""`',
  },
  {
    id: 'environment-bare-key',
    from: [5, 0, 0],
    until: [5, 6, 0],
    upstream: ['https://github.com/containers/podman/issues/26247', 'https://github.com/containers/podman/pull/26322'],
    behaviour: '`Environment=KEY` without `=` is dropped without a word; from 5.6 it becomes `--env KEY`, the host\'s value',
    instead: '`environment` always writes `KEY=value` (`KEY=` for an empty text); a bare `Environment=KEY` in `quadlet:` is refused before 5.6',
  },
  {
    id: 'network-delete-on-stop',
    from: [5, 5, 0],
    upstream: ['https://github.com/containers/podman/issues/23678', 'https://github.com/containers/podman/pull/25844'],
    behaviour: '`NetworkDeleteOnStop=true` (new in 5.5, off by default) makes stopping the `.network` unit remove the podman network; stopping an app of several stops its network unit (the app\'s unit)',
    instead: 'never rendered: stopping an app keeps its network, on every target',
  },
];

/** Whether `target` has the quirk `id`. */
export function hasQuirk(target: Version, id: QuirkId): boolean {
  const q = PODMAN_QUIRKS.find((x) => x.id === id);
  if (!q) return false;
  return compareVersions(target, q.from) >= 0 && (q.until === undefined || compareVersions(target, q.until) < 0);
}

/** `5.0 – 5.8.2` or `5.5 –` for a quirk's range. */
export function quirkRange(q: PodmanQuirk): string {
  return `${formatVersion(q.from)} – ${q.until ? `before ${formatVersion(q.until)}` : 'no fixed release'}`;
}

/**
 * The `HealthCmd=` value that makes `target`'s podman run `cmd` as an argument list, without a shell (README: health
 * `cmd` is an argument list); a problem at `pointer` when no value can. A list of two words or more is JSON; one word
 * is `CMD word` (quirk `health-cmd-one-word`). A first word podman reads as a keyword is refused at load
 * (src/manifest/checks.ts, checkHealthCmd).
 * @returns the value, or undefined after recording a problem.
 */
export function healthCmdValue(ctx: ManifestContext, pointer: string, cmd: readonly string[], target: Version): string | undefined {
  const first = cmd[0] ?? '';
  if (cmd.length > 1 || !hasQuirk(target, 'health-cmd-one-word')) return JSON.stringify(cmd);
  if (/\s/.test(first) || first === '') {
    ctx.problem(`${pointer}/0`, `podman runs a one-word health command through /bin/sh -c, and its form without a shell ("CMD ${first}") splits on blanks`, 'give the program and its arguments as separate words, or run a shell: [sh, -c, "…"]');
    return undefined;
  }
  if (first.includes('"') && hasQuirk(target, 'lookup-strips-quotes')) {
    ctx.problem(`${pointer}/0`, `podman ${formatVersion(target)}'s generator strips the unpaired '"' of a one-word health command (fixed in 5.8.2)`, 'give the program and its arguments as separate words');
    return undefined;
  }
  return `CMD ${first}`;
}

/**
 * An empty `entrypoint` (clear the image's): `Entrypoint=""` where the target's generator passes it, else
 * `PodmanArgs=--entrypoint=` (quirk `empty-entrypoint`).
 */
export function clearEntrypoint(target: Version): { Entrypoint: string } | { PodmanArgs: string[] } {
  return hasQuirk(target, 'empty-entrypoint') ? { PodmanArgs: ['--entrypoint='] } : { Entrypoint: '' };
}

/** A bare `Environment=KEY` of the escape hatch, which the target's generator drops (quirk `environment-bare-key`). */
export function checkRawEnvironment(ctx: ManifestContext, pointer: string, value: string, target: Version): void {
  if (!hasQuirk(target, 'environment-bare-key')) return;
  const bare = value.split(/\s+/).find((w) => w !== '' && !w.includes('='));
  if (bare !== undefined) {
    ctx.problem(pointer, `Environment=${bare} without a value is dropped by podman ${formatVersion(target)}'s generator (host pass-through comes with 5.6)`, `write ${bare}=VALUE, or set it under environment`);
  }
}
