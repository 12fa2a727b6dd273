/**
 * Parsers for the manifest's unit-carrying strings: memory sizes (`128Mi`) and
 * durations (`10m`). Each parses the whole string or throws: a partial parse
 * (`parseInt('128Mi')` → 128, `Number('128Mi')` → NaN → 0) can never leak out.
 */

const MEMORY = /^([1-9][0-9]*)(Ki|Mi|Gi|Ti)?$/;
const DURATION = /^([0-9]+)(ms|s|m|h)$/;

const IEC: Record<string, bigint> = { '': 1n, Ki: 1024n, Mi: 1024n ** 2n, Gi: 1024n ** 3n, Ti: 1024n ** 4n };
const MS: Record<string, bigint> = { ms: 1n, s: 1000n, m: 60_000n, h: 3_600_000n };

/** Multiplies in BigInt so that no digit is lost, then insists the result is a safe JS integer. */
function scaled(digits: string, factor: bigint, what: string, text: string): number {
  const value = BigInt(digits) * factor;
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} ${JSON.stringify(text)} is too large`);
  return Number(value);
}

/**
 * Parses an IEC memory size into bytes: `512Ki` → 524288, `128Mi` → 134217728, `1Gi`, `2Ti`; a bare number is bytes.
 * @throws RangeError when the text is not exactly `<positive integer>[Ki|Mi|Gi|Ti]` or exceeds 2^53 - 1 bytes.
 */
export function parseMemory(text: string): number {
  const m = MEMORY.exec(text);
  if (!m) throw new RangeError(`invalid memory size ${JSON.stringify(text)} (expected e.g. 128Mi, 1Gi, 512Ki)`);
  return scaled(m[1]!, IEC[m[2] ?? '']!, 'memory size', text);
}

/**
 * Parses a duration into milliseconds: `500ms` → 500, `30s` → 30000, `10m` → 600000, `1h` → 3600000.
 * @throws RangeError when the text is not exactly `<integer>(ms|s|m|h)` or exceeds 2^53 - 1 ms.
 */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new RangeError(`invalid duration ${JSON.stringify(text)} (expected e.g. 30s, 10m)`);
  return scaled(m[1]!, MS[m[2]!]!, 'duration', text);
}
