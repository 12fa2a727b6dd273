/**
 * Turns D-Bus values as @jellybrick/dbus-next delivers them (Variants, bigint
 * for 64-bit integers, Buffer for `ay`) into the port's plain types.
 */
import type { JobRef, UnitListEntry, UnitProps } from './types.js';
import { jobIdOfPath } from './unit-path.js';

/** systemd's USEC_INFINITY. */
const USEC_INFINITY = 0xffffffffffffffffn;

interface VariantLike {
  signature: string;
  value: unknown;
}

function isVariant(v: unknown): v is VariantLike {
  return typeof v === 'object' && v !== null && 'signature' in v && 'value' in v;
}

function unwrap(v: unknown): unknown {
  return isVariant(v) ? v.value : v;
}

function asString(v: unknown): string | undefined {
  const x = unwrap(v);
  return typeof x === 'string' ? x : undefined;
}

/** A uint64 microsecond value; systemd's infinity becomes `Infinity`. */
export function usec(v: unknown): number | undefined {
  const x = unwrap(v);
  if (typeof x === 'bigint') return x === USEC_INFINITY ? Infinity : Number(x);
  if (typeof x === 'number') return x;
  return undefined;
}

/** A `(uo)` job pair; `null` for systemd's "no job" `(0, "/")`. */
export function jobPair(v: unknown): JobRef | null | undefined {
  const x = unwrap(v);
  if (!Array.isArray(x) || x.length !== 2) return undefined;
  const [id, path] = x as [unknown, unknown];
  if (typeof id !== 'number' || typeof path !== 'string') return undefined;
  return id === 0 ? null : { id, path };
}

function hex(v: unknown): string | undefined {
  const x = unwrap(v);
  if (Buffer.isBuffer(x)) return x.toString('hex');
  if (Array.isArray(x)) return Buffer.from(x as number[]).toString('hex');
  return undefined;
}

function strings(v: unknown): string[] {
  const x = unwrap(v);
  return Array.isArray(x) ? x.filter((e): e is string => typeof e === 'string') : [];
}

function int(v: unknown): number | undefined {
  const n = unwrap(v);
  return typeof n === 'number' ? n : undefined;
}

/** Picks the followed properties out of an `a{sv}` map (a PropertiesChanged body or a GetAll reply). */
export function decodeUnitProps(map: Record<string, unknown>): UnitProps {
  const props: UnitProps = {};
  for (const [key, value] of Object.entries(map)) {
    switch (key) {
      case 'LoadState': props.loadState = asString(value); break;
      case 'ActiveState': props.activeState = asString(value); break;
      case 'SubState': props.subState = asString(value); break;
      case 'Result': props.result = asString(value); break;
      case 'InvocationID': props.invocationId = hex(value); break;
      case 'NRestarts': props.nRestarts = int(value); break;
      case 'ExecMainCode': props.execMainCode = int(value); break;
      case 'ExecMainStatus': props.execMainStatus = int(value); break;
      case 'StateChangeTimestamp': props.stateChangeUsec = usec(value); break;
      case 'TimeoutStartUSec': props.timeoutStartUsec = usec(value); break;
      case 'TimeoutStopUSec': props.timeoutStopUsec = usec(value); break;
      case 'Requires':
      case 'BindsTo': props.requires = [...(props.requires ?? []), ...strings(value)]; break;
      case 'Job': {
        const job = jobPair(value);
        if (job !== undefined) props.job = job;
        break;
      }
      default: break;
    }
  }
  for (const key of Object.keys(props) as Array<keyof UnitProps>) if (props[key] === undefined) delete props[key];
  return props;
}

/** The property names {@link decodeUnitProps} understands, as systemd spells them. */
export const FOLLOWED_PROPERTIES = [
  'LoadState', 'ActiveState', 'SubState', 'Result', 'InvocationID', 'NRestarts', 'ExecMainCode', 'ExecMainStatus',
  'StateChangeTimestamp', 'TimeoutStartUSec', 'TimeoutStopUSec', 'Job',
] as const;

/** One `a(ssssssouso)` row of ListUnits/ListUnitsByNames. */
export function decodeListEntry(row: unknown): UnitListEntry | undefined {
  if (!Array.isArray(row) || row.length < 10) return undefined;
  const [name, , loadState, activeState, subState, , path, jobId, jobType, jobPath] = row as unknown[];
  if (typeof name !== 'string' || typeof path !== 'string') return undefined;
  const id = typeof jobId === 'number' ? jobId : 0;
  const job: JobRef | null =
    id > 0 && typeof jobPath === 'string'
      ? { id, path: jobPath, ...(typeof jobType === 'string' && jobType ? { type: jobType } : {}) }
      : null;
  return {
    name,
    loadState: String(loadState),
    activeState: String(activeState),
    subState: String(subState),
    path,
    job,
  };
}

/** A JobNew/JobRemoved body → job (`uos` / `uoss`). */
export function decodeJobSignal(body: unknown[]): { job: JobRef; unit: string; result?: string } | undefined {
  const [id, path, unit, result] = body;
  if (typeof id !== 'number' || typeof path !== 'string' || typeof unit !== 'string') return undefined;
  return { job: { id: jobIdOfPath(path) ?? id, path }, unit, ...(typeof result === 'string' ? { result } : {}) };
}
