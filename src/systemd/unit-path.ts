/**
 * systemd's object paths for units and jobs.
 *
 * A unit's path is `/org/freedesktop/systemd1/unit/` + the unit name escaped
 * the way sd-bus escapes a path label (`bus_label_escape`): every byte that is
 * not `[A-Za-z0-9]`, and a digit in the first position, becomes `_` followed by
 * two lowercase hex digits; the empty name is `_`. So `lnd.service` →
 * `/org/freedesktop/systemd1/unit/lnd_2eservice` and `archy-ui.service` →
 * `…/archy_2dui_2eservice`. The rule is stable (it is what `GetUnit` returns),
 * so signals can be mapped back to unit names without a round trip.
 */

export const UNIT_PATH_PREFIX = '/org/freedesktop/systemd1/unit/';
export const JOB_PATH_PREFIX = '/org/freedesktop/systemd1/job/';
export const MANAGER_PATH = '/org/freedesktop/systemd1';

const ALNUM = /[A-Za-z0-9]/;
const DIGIT = /[0-9]/;

/** Escapes one path label as sd-bus does, e.g. `lnd.service` → `lnd_2eservice`. */
export function escapeLabel(label: string): string {
  if (label === '') return '_';
  let out = '';
  const bytes = Buffer.from(label, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const ch = String.fromCharCode(bytes[i]!);
    const keep = ALNUM.test(ch) && !(i === 0 && DIGIT.test(ch));
    out += keep ? ch : `_${bytes[i]!.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The inverse of {@link escapeLabel}; returns undefined for a label that is not a valid escape. */
export function unescapeLabel(label: string): string | undefined {
  if (label === '_') return '';
  const bytes: number[] = [];
  for (let i = 0; i < label.length; i++) {
    const ch = label[i]!;
    if (ch === '_') {
      const hex = label.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (ALNUM.test(ch)) {
      bytes.push(ch.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The object path of a unit: `unitPath('lnd.service')` → `/org/freedesktop/systemd1/unit/lnd_2eservice`. */
export function unitPath(unitName: string): string {
  return UNIT_PATH_PREFIX + escapeLabel(unitName);
}

/** The unit name of a unit object path, or undefined when `path` is not one. */
export function unitNameOfPath(path: string): string | undefined {
  if (!path.startsWith(UNIT_PATH_PREFIX)) return undefined;
  const label = path.slice(UNIT_PATH_PREFIX.length);
  if (label.includes('/')) return undefined;
  return unescapeLabel(label);
}

/** The numeric id of a job object path (`/org/freedesktop/systemd1/job/42` → 42), or undefined. */
export function jobIdOfPath(path: string): number | undefined {
  if (!path.startsWith(JOB_PATH_PREFIX)) return undefined;
  const id = Number(path.slice(JOB_PATH_PREFIX.length));
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}
