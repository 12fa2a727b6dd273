/**
 * What compiling one manifest needs besides the manifest: where problems go
 * and how a manifest string is checked before it becomes a unit value.
 */
import type { Problem } from '../errors.js';
import type { LoadedManifest } from '../manifest/types.js';
import { DNS_LABEL } from '../naming.js';
import { valueProblem, type ValueSyntax } from '../render/quote.js';

export class ManifestContext {
  constructor(
    /** The manifest file, as loaded (every problem names it). */
    readonly file: string,
    readonly problems: Problem[],
    readonly warnings: Problem[],
    private readonly locate?: LoadedManifest['locate'],
  ) {}

  /** Records a problem at `pointer` (at the key itself with `target: 'key'`), with its line and column when known. */
  problem(pointer: string, message: string, hint?: string, target?: 'key' | 'value'): void {
    this.problems.push(this.at(pointer, message, hint, target));
  }

  warn(pointer: string, message: string, hint?: string): void {
    this.warnings.push(this.at(pointer, message, hint));
  }

  private at(pointer: string, message: string, hint?: string, target?: 'key' | 'value'): Problem {
    const where = this.locate ? this.locate(pointer, target) : {};
    return { file: this.file, ...where, pointer, message, ...(hint ? { hint } : {}) };
  }

  /**
   * Returns `value` unchanged, recording a problem at `pointer` when it cannot be written
   * into a unit with `syntax` (see src/render/quote.ts): the renderer would refuse it.
   */
  text(pointer: string, value: string, syntax: ValueSyntax): string {
    const reason = valueProblem(value, syntax);
    if (reason) this.problem(pointer, `cannot be written into a unit file: ${reason}`, 'remove the character or change the value');
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

/** `~` → `~0`, `/` → `~1` (RFC 6901), for map keys inside a pointer. */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
