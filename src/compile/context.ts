/**
 * What compiling one manifest needs besides the manifest: where problems go
 * and how a manifest string is checked before it becomes a unit value.
 */
import type { Problem } from '../errors.js';
import type { LoadedManifest } from '../manifest/types.js';
import { DNS_LABEL } from '../naming.js';
import { valueProblem, type ValueSyntax } from '../render/quote.js';

/** A warning the manifest acknowledges (`acknowledge: { hostNetwork: REASON }`), with that reason. */
export interface AcknowledgedWarning extends Problem {
  reason: string;
}

export class ManifestContext {
  constructor(
    /** The manifest file, as loaded (every problem names it). */
    readonly file: string,
    readonly problems: Problem[],
    readonly warnings: Problem[],
    private readonly locate?: LoadedManifest['locate'],
    /** Warnings the manifest acknowledges (`acknowledge:`), with its reason: kept out of `warnings`. */
    readonly acknowledged: AcknowledgedWarning[] = [],
  ) {}

  /** Records a problem at `pointer` (at the key itself with `target: 'key'`), with its line and column when known. */
  problem(pointer: string, message: string, hint?: string, target?: 'key' | 'value'): void {
    this.problems.push(this.at(pointer, message, hint, target));
  }

  /**
   * Records a warning at `pointer`; with `acknowledged` (the manifest's reason from `acknowledge:`), records it as
   * acknowledged instead.
   */
  warn(pointer: string, message: string, hint?: string, acknowledged?: string): void {
    if (acknowledged !== undefined) this.acknowledged.push({ ...this.at(pointer, message, hint), reason: acknowledged });
    else this.warnings.push(this.at(pointer, message, hint));
  }

  private at(pointer: string, message: string, hint?: string, target?: 'key' | 'value'): Problem {
    const where = this.locate ? this.locate(pointer, target) : {};
    return { file: this.file, ...where, pointer, message, ...(hint ? { hint } : {}) };
  }

  /**
   * Returns `value` unchanged, recording a problem at `pointer` when it cannot be written
   * into a unit with `syntax` (see src/render/quote.ts): the renderer would refuse it.
   */
  text(pointer: string, value: string, syntax: ValueSyntax, line: UnitLine = 'podman'): string {
    const reason = valueProblem(value, syntax);
    if (reason) this.problem(pointer, `cannot be written into a unit file: ${reason}`, 'remove the character or change the value');
    else if (line === 'podman' && value === ';') this.problem(pointer, COMMAND_SEPARATOR.message, pointer.includes('/command/') ? COMMAND_SEPARATOR.commandHint : COMMAND_SEPARATOR.hint);
    return value;
  }

  /** Whether `name` is a DNS label, recording a problem when not: it becomes part of a unit file and service name. */
  isLabel(pointer: string, name: string): boolean {
    if (DNS_LABEL.test(name)) return true;
    this.problem(pointer, `${JSON.stringify(name)} is not a DNS label (it names a unit)`, 'use 1-63 lowercase letters, digits and "-"');
    return false;
  }

  /** Returns `name`, recording a problem when it is no DNS label (see {@link isLabel}). */
  label(pointer: string, name: string): string {
    this.isLabel(pointer, name);
    return name;
  }
}

/**
 * Where a value ends up: `podman` for the keys of Quadlet's groups, which podman 5.4.2's generator turns into words of
 * the service's `ExecStart=`; `systemd` for systemd's own keys (`Description=`, `Restart=`), read as they are.
 */
export type UnitLine = 'podman' | 'systemd';

/**
 * A lone `;`: in the `ExecStart=` the generator writes, systemd reads it as the end of the command, whatever its
 * spelling in our unit (the generator unquotes `";"` and writes a bare `;`). What follows it becomes a second
 * command, which systemd refuses for a service (a one-shot one would run it on the host). Issue 17.
 */
export const COMMAND_SEPARATOR = {
  message: 'a lone ";" cannot reach the container: podman\'s generator writes it bare into ExecStart=, where systemd reads it as the end of the command',
  commandHint: 'end find\'s -exec with "+" ([-exec, rm, -f, "{}", "+"]), or run a shell: [sh, -c, "find … -exec rm -f {} \\;"]',
  hint: 'use another value; a shell (sh -c) can take a ";" inside its script',
} as const;

/** `~` → `~0`, `/` → `~1` (RFC 6901), for map keys inside a pointer. */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
