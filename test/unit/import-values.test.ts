import { describe, expect, it } from 'vitest';
import { byteSize, duration, qualifyImage, signal, wholeSeconds } from '../../src/import/compose-values.js';
import { parseEnvFile } from '../../src/import/dotenv.js';
import { interpolate } from '../../src/import/interpolate.js';
import { shellWords } from '../../src/import/shell-words.js';

const vars = new Map([['SET', 'value'], ['EMPTY', ''], ['PORT', '8080']]);
const ok = (text: string): string => {
  const r = interpolate(text, vars);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('interpolation (Compose Specification, Interpolation)', () => {
  it.each([
    ['${SET}', 'value'],
    ['$SET/x', 'value/x'],
    ['${UNSET:-default}', 'default'],
    ['${EMPTY:-default}', 'default'],
    ['${EMPTY-default}', ''],
    ['${UNSET-default}', 'default'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET:-${ALSO_UNSET:-${PORT}}}', '8080'],
    ['${UNSET:-a ${SET} b}', 'a value b'],
    ['cost $$5', 'cost $5'],
    ['$${SET}', '${SET}'],
    ['no variables', 'no variables'],
  ])('%s → %s', (text, expected) => expect(ok(text)).toBe(expected));

  it('an unset variable without a default is an error naming it', () => {
    expect(interpolate('x ${API_KEY} y', vars)).toEqual({ ok: false, error: { variable: 'API_KEY', message: 'variable API_KEY is not set', hint: 'set it in an --env file or the environment, or give a default: ${API_KEY:-value}' } });
    expect(interpolate('$NOPE', vars)).toMatchObject({ ok: false, error: { variable: 'NOPE' } });
    expect(interpolate('${MODE:?live or test}', vars)).toMatchObject({ ok: false, error: { variable: 'MODE', message: 'variable MODE is required: live or test' } });
    expect(interpolate('${EMPTY:?must not be empty}', vars)).toMatchObject({ ok: false });
    expect(interpolate('${EMPTY?}', vars)).toEqual({ ok: true, value: '' });
  });

  it('malformed expressions are errors', () => {
    for (const text of ['${SET', '$1', '${SET:x}', '${}', '$ ']) expect(interpolate(text, vars).ok, text).toBe(false);
  });
});

describe('shell words (a string command)', () => {
  it.each([
    ['a b  c', ['a', 'b', 'c']],
    [`sh -c 'echo "$HOME" && exit 1'`, ['sh', '-c', 'echo "$HOME" && exit 1']],
    [`--alias="my node" x`, ['--alias=my node', 'x']],
    [`"a \\" b" c\\ d`, ['a " b', 'c d']],
    [`''`, ['']],
    ['  ', []],
  ])('%s', (text, words) => expect(shellWords(text)).toEqual({ ok: true, words }));
  it('refuses an unterminated quote', () => {
    expect(shellWords(`echo "x`)).toEqual({ ok: false, message: 'unterminated double quote' });
    expect(shellWords(`echo 'x`)).toEqual({ ok: false, message: 'unterminated single quote' });
  });
});

describe('env files', () => {
  it('reads NAME=value, export, quotes, comments, bare names and interpolation', () => {
    const text = ['# comment', 'export A=1', 'B="two \\"words\\""', "C='${literal}'", 'D=${A}-x # trailing comment', 'E', 'SET', 'F=', ''].join('\n');
    expect(parseEnvFile(text, vars)).toEqual({
      entries: [
        { name: 'A', value: '1', line: 2 },
        { name: 'B', value: 'two "words"', line: 3 },
        { name: 'C', value: '${literal}', line: 4 },
        { name: 'D', value: '1-x', line: 5 },
        { name: 'E', value: undefined, line: 6 },
        { name: 'SET', value: 'value', line: 7 },
        { name: 'F', value: '', line: 8 },
      ],
      errors: [],
    });
  });
  it('names the line of an unset variable and of a broken line', () => {
    expect(parseEnvFile('A=1\nB=${NOPE}\n!!\n', vars).errors).toEqual([
      { line: 2, col: 3, variable: 'NOPE', message: 'variable NOPE is not set', hint: 'set it in an --env file or the environment, or give a default: ${NOPE:-value}' },
      { line: 3, col: 1, message: 'not a NAME=value line: "!!"' },
    ]);
  });
});

describe('compose values → manifest values', () => {
  it.each([
    ['1m30s', '90s'],
    ['30s', '30s'],
    ['2m', '2m'],
    ['1h', '1h'],
    ['500ms', '500ms'],
    ['1.5s', '1500ms'],
    ['10', undefined],
  ])('duration %s → %s', (text, expected) => {
    const d = duration(text);
    expect(d.ok ? d.value : undefined).toBe(expected);
  });
  it('stop timeouts are whole seconds, rounded up with a note', () => {
    expect(wholeSeconds('1.5s')).toEqual({ ok: true, value: '2s', note: 'rounded 1.5s up to 2s (podman counts whole seconds)' });
    expect(wholeSeconds('5m30s')).toEqual({ ok: true, value: '330s' });
    expect(wholeSeconds('0s').ok).toBe(false);
  });
  it.each([
    ['64m', '64Mi'],
    ['2gb', '2Gi'],
    ['1.5g', '1536Mi'],
    [1048576, '1Mi'],
    ['1000', '1000'],
    ['512k', '512Ki'],
  ])('size %s → %s', (text, expected) => expect(byteSize(text)).toEqual({ ok: true, value: expected }));
  it('refuses what is no size', () => {
    for (const text of ['-1', '1.5x', 'lots', '0']) expect(byteSize(text).ok, text).toBe(false);
  });

  it.each([
    ['nginx:1.27', 'docker.io/library/nginx:1.27', 1],
    ['bitcoin/bitcoin:28.1', 'docker.io/bitcoin/bitcoin:28.1', 1],
    ['docker.io/nginx:1.27', 'docker.io/library/nginx:1.27', 0],
    ['index.docker.io/library/nginx:1.27', 'docker.io/library/nginx:1.27', 0],
    ['ghcr.io/org/app:v1', 'ghcr.io/org/app:v1', 0],
    ['localhost/app:dev', 'localhost/app:dev', 0],
    ['registry.local:5000/app:1@sha256:' + 'a'.repeat(64), 'registry.local:5000/app:1@sha256:' + 'a'.repeat(64), 0],
    ['postgres@sha256:' + 'b'.repeat(64), 'docker.io/library/postgres@sha256:' + 'b'.repeat(64), 1],
    ['redis', 'docker.io/library/redis:latest', 2],
  ])('image %s → %s (%i notes)', (text, expected, notes) => {
    const q = qualifyImage(text);
    expect(q).toMatchObject({ ok: true, value: expected });
    expect(q.notes?.length ?? 0).toBe(notes);
  });
  it('refuses what is no image reference', () => {
    for (const text of ['Nginx:1', 'nginx:', 'a b', '', 'x@sha256:12']) expect(qualifyImage(text).ok, text).toBe(false);
  });

  it.each([['SIGINT', 'SIGINT'], ['TERM', 'SIGTERM'], ['sigquit', 'SIGQUIT'], [15, 'SIGTERM'], ['2', 'SIGINT']])('signal %s → %s', (text, expected) => expect(signal(text)).toEqual({ ok: true, value: expected }));
  it('refuses a signal a manifest does not take', () => expect(signal('SIGSEGV').ok).toBe(false));
});
