/**
 * A service's `env_file` and `environment` → the manifest's `environment`, in compose's precedence: the env files in
 * order, then `environment` over them. `environment` is a mapping or a list of `NAME=value`; a bare `NAME` (or
 * `NAME:` with no value) takes the variable's value, or leaves it unset as compose does.
 */
import type { EnvValue } from '../manifest/types.js';
import { resolvePath } from './compose-values.js';
import { parseEnvFile } from './dotenv.js';
import { seg, type Findings } from './findings.js';

/** An env file read by the caller: its path as shown in findings, and its text (undefined: it does not exist). */
export interface EnvFileText {
  file: string;
  text: string | undefined;
}

export interface EnvContext {
  findings: Findings;
  projectDir: string;
  vars: ReadonlyMap<string, string>;
  /** The env files the service names, by absolute path (read by the caller, see `envFilePaths`). */
  envFiles: ReadonlyMap<string, EnvFileText>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CREDENTIAL = /PASS(WORD|WD)?\b|PASSWORD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY/i;

/** The `env_file` entries of a service as `{ path, required }`, paths absolute (relative ones against the project). */
export function envFileEntries(value: unknown, projectDir: string): Array<{ path: string; required: boolean; index: number }> {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.flatMap((e, index) => {
    if (typeof e === 'string') return [{ path: resolvePath(projectDir, e), required: true, index }];
    if (e !== null && typeof e === 'object' && typeof (e as { path?: unknown }).path === 'string') {
      return [{ path: resolvePath(projectDir, (e as { path: string }).path), required: (e as { required?: unknown }).required !== false, index }];
    }
    return [];
  });
}

/** The service's environment: `env_file` (at `envFilePointer`) then `environment` (at `pointer`). */
export function convertEnvironment(service: Record<string, unknown>, base: string, ctx: EnvContext): Record<string, EnvValue> | undefined {
  const env = new Map<string, { value: string; pointer: string }>();
  const set = (name: string, value: string | undefined, pointer: string): void => {
    if (!NAME.test(name)) {
      ctx.findings.drop(pointer, `variable ${JSON.stringify(name)}`, 'a manifest environment name is letters, digits and _ (not starting with a digit)');
      return;
    }
    if (value === undefined) {
      env.delete(name);
      ctx.findings.note(pointer, `${name} has no value and is not set: left out, as compose leaves it unset`);
      return;
    }
    if (/[\x00-\x1f\x7f]/.test(value)) {
      ctx.findings.drop(pointer, `the value of ${name}`, 'it holds a newline or a control character, which a unit file cannot carry');
      return;
    }
    env.set(name, { value, pointer });
  };

  if (service.env_file !== undefined) {
    const raw = service.env_file;
    for (const { path, required, index } of envFileEntries(raw, ctx.projectDir)) {
      const at = Array.isArray(raw) ? `${base}/env_file${seg(index)}` : `${base}/env_file`;
      const read = ctx.envFiles.get(path);
      if (read?.text === undefined) {
        if (required) ctx.findings.error(at, `env file ${read?.file ?? path} does not exist`, 'create it, or mark it required: false');
        continue;
      }
      const parsed = parseEnvFile(read.text, ctx.vars);
      for (const e of parsed.errors) ctx.findings.at('error', { file: read.file, line: e.line, col: e.col }, '', e.message, e.hint);
      for (const e of parsed.entries) set(e.name, e.value, at);
    }
  }

  const environment = service.environment;
  const at = `${base}/environment`;
  if (Array.isArray(environment)) {
    environment.forEach((item, i) => {
      if (typeof item !== 'string') {
        ctx.findings.drop(`${at}${seg(i)}`, 'this entry', 'an environment list holds NAME=value strings');
        return;
      }
      const eq = item.indexOf('=');
      const name = eq < 0 ? item : item.slice(0, eq);
      set(name, eq < 0 ? ctx.vars.get(name) : item.slice(eq + 1), `${at}${seg(i)}`);
    });
  } else if (environment !== null && typeof environment === 'object') {
    for (const [name, value] of Object.entries(environment)) {
      const where = `${at}${seg(name)}`;
      if (value === null || value === undefined) set(name, ctx.vars.get(name), where);
      else if (typeof value === 'object') ctx.findings.drop(where, `the value of ${name}`, 'an environment value is text, a number or a boolean');
      else set(name, String(value), where);
    }
  } else if (environment !== undefined && environment !== null) {
    ctx.findings.drop(at, 'environment', 'must be a mapping or a list of NAME=value');
  }

  if (env.size === 0) return undefined;
  for (const [name, { value, pointer }] of env) {
    if (CREDENTIAL.test(name) && value !== '') {
      ctx.findings.note(pointer, `${name} looks like a credential and is written into the manifest as text`, `use { secret: <name> } so that the node generates it and keeps it out of the manifest`);
    }
  }
  return Object.fromEntries([...env].map(([name, { value }]) => [name, value]));
}
