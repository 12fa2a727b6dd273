/**
 * Derived config files: handlebars templates (`templates/config/*.hbs`) plus
 * node-local secrets → file text. Rendering is pure: the secrets a template
 * uses are found from its syntax tree first (`secretsUsed`), fetched by the
 * caller, and passed in as values.
 *
 * Helpers (string literal arguments only, so the secrets a file uses are known
 * before it is rendered):
 * - `{{secret "name"}}` → the secret's value.
 * - `{{rpcauth "user" "name"}}` → bitcoind's `user:salt$hmac` (HMAC-SHA256 of the
 *   password keyed by the salt, hex), with the salt itself a kept secret
 *   (`name.rpcauth-salt`), so the line is byte-identical on every render.
 * - `{{basicAuth "user" "name"}}` → base64 of `user:password` (an HTTP
 *   `Authorization: Basic` value, e.g. for nginx's `proxy_set_header`).
 * - `{{export "app" "name"}}` → the value app `app` exports as `name` (its
 *   manifest's `exports`): literal text, or for `{ secret }` the secret's value.
 * - `{{node "fact"}}` → a fact of the node (`hostname`, `lanAddress`,
 *   `timeZone`, `domain`).
 */
import { createHash, createHmac } from 'node:crypto';
import Handlebars from 'handlebars';
import { InvalidInputError } from '../errors.js';
import type { ExportValue, NodeFact } from '../manifest/types.js';

/**
 * Looks up what app `app` exports as `name`; undefined when the app is not in the catalog or exports no such value.
 * (Built from the loaded manifests by the caller: the template renderer reads no manifest itself.)
 */
export type ExportLookup = (app: string, name: string) => ExportValue | undefined;

/** The values the export and node helpers resolve against. */
export interface TemplateFacts {
  exports: ExportLookup;
  node: Partial<Record<NodeFact, string>>;
}

const NO_FACTS: TemplateFacts = { exports: () => undefined, node: {} };

/** A secret a template needs, and what kind of value it is. */
export interface SecretNeed {
  name: string;
  kind: 'password' | 'salt';
  /** The rendered file carries the value itself (`secret`, `basicAuth`), not only a salted HMAC (`rpcauth`). */
  exposed: boolean;
}

/** The salt secret kept beside a password for its rpcauth line. */
export function rpcauthSaltName(secret: string): string {
  return `${secret}.rpcauth-salt`;
}

const HELPERS: Record<string, { arity: number; needs: (args: string[], facts: TemplateFacts) => SecretNeed[] }> = {
  secret: { arity: 1, needs: ([n]) => [{ name: n!, kind: 'password', exposed: true }] },
  export: {
    arity: 2,
    needs: ([app, name], facts) => {
      const v = facts.exports(app!, name!);
      return v !== undefined && typeof v === 'object' ? [{ name: v.secret, kind: 'password', exposed: true }] : [];
    },
  },
  node: { arity: 1, needs: () => [] },
  rpcauth: {
    arity: 2,
    needs: ([, n]) => [
      { name: n!, kind: 'password', exposed: false },
      { name: rpcauthSaltName(n!), kind: 'salt', exposed: false },
    ],
  },
  basicAuth: { arity: 2, needs: ([, n]) => [{ name: n!, kind: 'password', exposed: true }] },
};

type Node = { type: string; [k: string]: unknown };

/**
 * The secrets a template uses, in first-use order, without duplicates.
 * Throws InvalidInputError (naming `file`) for a template that does not parse
 * or calls a secret helper with anything but string literals.
 */
export function secretsUsed(template: string, file: string, facts: TemplateFacts = NO_FACTS): SecretNeed[] {
  let ast: Node;
  try {
    ast = Handlebars.parse(template) as unknown as Node;
  } catch (err) {
    throw new InvalidInputError([{ file, message: `template does not parse: ${(err as Error).message}` }]);
  }
  const found = new Map<string, SecretNeed>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    const path = n['path'] as { original?: unknown } | undefined;
    const helper = typeof path?.original === 'string' ? HELPERS[path.original] : undefined;
    if (helper && (n.type === 'MustacheStatement' || n.type === 'SubExpression')) {
      const params = (n['params'] as Node[]) ?? [];
      const loc = (n['loc'] as { start?: { line: number; column: number } } | undefined)?.start;
      if (params.length !== helper.arity || params.some((p) => p.type !== 'StringLiteral')) {
        throw new InvalidInputError([
          {
            file,
            ...(loc ? { line: loc.line, col: loc.column + 1 } : {}),
            message: `{{${String(path!.original)}}} takes ${helper.arity} quoted argument(s)`,
            hint: 'e.g. {{rpcauth "archy" "bitcoin-rpc"}}',
          },
        ]);
      }
      for (const need of helper.needs(params.map((p) => String(p['value'])), facts)) {
        const seen = found.get(need.name);
        found.set(need.name, seen ? { ...seen, exposed: seen.exposed || need.exposed } : need);
      }
    }
    for (const v of Object.values(n)) if (v && typeof v === 'object') visit(v);
  };
  visit(ast);
  return [...found.values()];
}

/** bitcoind's rpcauth value `user:salt$hmac` (as share/rpcauth/rpcauth.py prints it after `rpcauth=`). */
export function rpcauth(user: string, password: string, salt: string): string {
  const hmac = createHmac('sha256', salt).update(password).digest('hex');
  return `${user}:${salt}$${hmac}`;
}

/** base64 of `user:password`. */
export function basicAuth(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

/**
 * Renders a config template with handlebars (noEscape, strict) and the secret
 * helpers over `secrets` (values by name, as `secretsUsed` listed them), the
 * export helper over `facts.exports`, the node helper over `facts.node`.
 * Throws InvalidInputError naming `file` when the template refers to a missing
 * field, a secret that was not passed, a value no app exports or a node fact
 * the node does not know.
 */
export function renderConfig(template: string, file: string, context: object, secrets: Readonly<Record<string, string>>, facts: TemplateFacts = NO_FACTS): string {
  const hb = Handlebars.create();
  const value = (name: string): string => {
    const v = secrets[name];
    if (v === undefined) throw new InvalidInputError([{ file, message: `secret ${JSON.stringify(name)} was not provided to the template` }]);
    return v;
  };
  hb.registerHelper('secret', (name: string) => value(name));
  hb.registerHelper('rpcauth', (user: string, name: string) => rpcauth(user, value(name), value(rpcauthSaltName(name))));
  hb.registerHelper('basicAuth', (user: string, name: string) => basicAuth(user, value(name)));
  hb.registerHelper('export', (app: string, name: string) => {
    const v = facts.exports(app, name);
    if (v === undefined) throw new InvalidInputError([{ file, message: `{{export ${JSON.stringify(app)} ${JSON.stringify(name)}}}: "${app}" exports no "${name}"`, hint: `add exports: { ${name}: … } to ${app}'s manifest, or fix the name` }]);
    return typeof v === 'string' ? v : value(v.secret);
  });
  hb.registerHelper('node', (fact: string) => {
    const v = (facts.node as Record<string, string | undefined>)[fact];
    if (v === undefined) throw new InvalidInputError([{ file, message: `{{node ${JSON.stringify(fact)}}}: this node does not know its ${fact}`, hint: 'facts: hostname, lanAddress, timeZone, domain (when configured)' }]);
    return v;
  });
  try {
    return hb.compile(template, { noEscape: true, strict: true })(context);
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError([{ file, message: `template failed: ${(err as Error).message}` }]);
  }
}

/** A digest of secret values, so an app's hash changes when a secret it uses does, without keeping the value. */
export function secretDigest(name: string, value: string): string {
  return createHash('sha256').update(`${name}\0${value}`).digest('hex');
}
