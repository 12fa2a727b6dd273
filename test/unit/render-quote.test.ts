import { describe, expect, it } from 'vitest';
import { quote, UnrepresentableValueError, valueProblem } from '../../src/render/quote.js';

describe('quote: word syntax (Environment=, Exec=, Label=, Secret=)', () => {
  it.each([
    ['plain', 'plain'],
    ['A=b', 'A=b'],
    ['two words', '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["it's", '"it\'s"'],
    ['C:\\temp\\', '"C:\\\\temp\\\\"'],
    ['50%', '50%%'],
    ['%h', '%%h'],
    ['a b%', '"a b%%"'],
  ])('%j → %j', (value, expected) => {
    expect(quote(value, 'word', false)).toBe(expected);
  });

  it('doubles $ only in podman groups (their values reach ExecStart=, where systemd expands $VAR)', () => {
    expect(quote('$HOME', 'word', true)).toBe('$$HOME');
    expect(quote('${PATH} x', 'word', true)).toBe('"$${PATH} x"');
    expect(quote('$HOME', 'word', false)).toBe('$HOME');
  });

  it('refuses an empty word (Quadlet drops "")', () => {
    expect(() => quote('', 'word', true)).toThrow(UnrepresentableValueError);
  });
});

describe('quote: value syntax (Image=, WorkingDir=, HealthCmd=)', () => {
  it.each([
    ['/srv/app', '/srv/app'],
    ['a "quoted" middle', 'a "quoted" middle'],
    ['["CMD","a b"]', '["CMD","a b"]'],
    [' padded ', '" padded "'],
    ['ends\\', '"ends\\"'],
    ['', '""'],
    ['100%', '100%%'],
  ])('%j → %j', (value, expected) => {
    expect(quote(value, 'value', false)).toBe(expected);
  });

  it('refuses a value that starts or ends with a double quote (Podman 5.4 strips every quote at either end)', () => {
    expect(valueProblem('"x', 'value')).toMatch(/double quote/);
    expect(valueProblem('x"', 'value')).toMatch(/double quote/);
    expect(() => quote('"x"', 'value', true)).toThrow(/double quote/);
  });
});

describe('quote: raw syntax (Volume=, PublishPort=, Description=)', () => {
  it('writes the value as it is, specifiers escaped', () => {
    expect(quote('/a b:/c:ro', 'raw', true)).toBe('/a b:/c:ro');
    expect(quote('Bitcoin "Knots" 100%', 'raw', false)).toBe('Bitcoin "Knots" 100%%');
  });

  it.each([
    ['trailing\\', /backslash/],
    [' lead', /whitespace/],
    ['trail ', /whitespace/],
    ['', /empty/],
  ])('refuses %j', (value, reason) => {
    expect(valueProblem(value, 'raw')).toMatch(reason);
  });
});

describe('quote: control characters', () => {
  it.each(['a\nb', 'a\rb', 'a\tb', 'a\u0000b', 'a\u007fb', 'a\u0085b'])('refuses %j in every syntax', (value) => {
    for (const syntax of ['word', 'value', 'raw'] as const) {
      expect(() => quote(value, syntax, false)).toThrow(/control character/);
    }
  });
});

describe('quote: strv syntax (AddDevice=, Sysctl=, AddCapability=, DropCapability=: no escapes)', () => {
  it.each([
    ['/dev/fuse', '/dev/fuse'],
    ['a b', '"a b"'],
    ['say "hi"', "'say \"hi\"'"],
    ["it's", '"it\'s"'],
    ['C:\\temp', 'C:\\temp'],
    ['ends\\', '"ends\\"'],
    ['50%', '50%%'],
  ])('%j → %j', (value, expected) => {
    expect(quote(value, 'strv', false)).toBe(expected);
  });

  it('refuses a value with both quote characters, and an empty one', () => {
    expect(valueProblem(`a'b"c`, 'strv')).toMatch(/both quote/);
    expect(valueProblem('', 'strv')).toMatch(/empty/);
  });
});
