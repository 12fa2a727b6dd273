/**
 * Unit models → the exact text of each unit file. Pure: the template text is
 * read by the caller (src/store/shipped/templates.ts) and passed in.
 */
import Handlebars from 'handlebars';
import type { UnitSpec } from '../compile/model.js';
import type { RenderedFile } from './types.js';
import { unitView } from './view-model.js';

/** The templates the renderer needs, as text: `unit` prints every unit kind from its view model. */
export interface UnitTemplates {
  unit: string;
}

type Template = (view: unknown) => string;

// Compiled once per templates object: a freshly compiled template runs cold (parsed and optimised again) on every call.
const cache = new WeakMap<UnitTemplates, { text: string; template: Template }>();

function compiled(templates: UnitTemplates): Template {
  const hit = cache.get(templates);
  if (hit && hit.text === templates.unit) return hit.template;
  const template = Handlebars.compile(templates.unit, { noEscape: true, strict: true });
  cache.set(templates, { text: templates.unit, template });
  return template;
}

/**
 * Renders every unit, in the order given (the compiler sorts them by file name).
 * Handlebars runs with `noEscape` (HTML escaping would corrupt unit files) and
 * `strict` (a field missing from the view model throws instead of printing nothing).
 * @throws UnrepresentableValueError for a value no quoting can write.
 */
export function renderUnits(units: readonly UnitSpec[], templates: UnitTemplates): RenderedFile[] {
  const template = compiled(templates);
  return units.map((u) => ({
    name: u.file,
    ...(u.app !== undefined ? { app: u.app } : {}),
    sources: [...u.sources],
    content: template(unitView(u)),
  }));
}
