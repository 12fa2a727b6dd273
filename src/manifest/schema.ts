/**
 * The manifest JSON Schema (`schema/manifest.schema.json`, shipped with the
 * package) compiled once with ajv's 2020-12 dialect.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { createRequire } from 'node:module';

// src/manifest/ and dist/manifest/ both sit two levels below the package root.
const require = createRequire(import.meta.url);

/** The schema document as shipped (for editors, docs and tests). */
export const manifestSchema = require('../../schema/manifest.schema.json') as Record<string, unknown>;

let compiled: ValidateFunction | undefined;

/** ajv validator for one manifest value; errors are verbose (they carry the failing subschema and data). */
export function manifestValidator(): ValidateFunction {
  // allErrors: every problem is reported; strict: a schema typo is a bug, not a silent no-op. strictRequired is off
  // because the `image` xor `build` and `env` xor `target` branches name fields declared by their parent.
  compiled ??= new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true }).compile(manifestSchema);
  return compiled;
}

export type { ErrorObject };
