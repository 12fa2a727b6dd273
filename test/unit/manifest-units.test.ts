import { describe, expect, test } from 'vitest';
import { parseDuration, parseMemory } from '../../src/manifest/units.js';

describe('parseMemory', () => {
  test.each([
    ['1', 1],
    ['512', 512],
    ['512Ki', 524_288],
    ['128Mi', 134_217_728],
    ['1Gi', 1_073_741_824],
    ['6Gi', 6_442_450_944],
    ['2Ti', 2_199_023_255_552],
    ['8191Ti', 9_006_099_743_113_216],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });


  test.each([
    ['', 'invalid memory size "" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['0', 'invalid memory size "0" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['0Mi', 'invalid memory size "0Mi" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['0128Mi', 'invalid memory size "0128Mi" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['128M', 'invalid memory size "128M" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['128mi', 'invalid memory size "128mi" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['128 Mi', 'invalid memory size "128 Mi" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    [' 128Mi', 'invalid memory size " 128Mi" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['128Mi\n', 'invalid memory size "128Mi\\n" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['1.5Gi', 'invalid memory size "1.5Gi" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['-1Gi', 'invalid memory size "-1Gi" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['1e3', 'invalid memory size "1e3" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['0x10', 'invalid memory size "0x10" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['Mi', 'invalid memory size "Mi" (expected e.g. 128Mi, 1Gi, 512Ki)'],
    ['8192Ti', 'memory size "8192Ti" is too large'],
    ['99999999999999999999', 'memory size "99999999999999999999" is too large'],
  ])('%j is rejected', (text, message) => {
    expect(() => parseMemory(text)).toThrow(new RangeError(message));
  });

  test('a unit suffix never yields 0 or the bare number', () => {
    for (const unit of ['Ki', 'Mi', 'Gi', 'Ti']) {
      const bytes = parseMemory(`3${unit}`);
      expect(bytes).toBeGreaterThan(3);
      expect(bytes % 3).toBe(0);
    }
  });
});

describe('parseDuration', () => {
  test.each([
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['330s', 330_000],
    ['1h', 3_600_000],
    ['2501999792h', 9_007_199_251_200_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    ['', 'invalid duration "" (expected e.g. 30s, 10m)'],
    ['10', 'invalid duration "10" (expected e.g. 30s, 10m)'],
    ['10 m', 'invalid duration "10 m" (expected e.g. 30s, 10m)'],
    ['10min', 'invalid duration "10min" (expected e.g. 30s, 10m)'],
    ['1.5s', 'invalid duration "1.5s" (expected e.g. 30s, 10m)'],
    ['-1s', 'invalid duration "-1s" (expected e.g. 30s, 10m)'],
    ['1m30s', 'invalid duration "1m30s" (expected e.g. 30s, 10m)'],
    ['10S', 'invalid duration "10S" (expected e.g. 30s, 10m)'],
    ['10s\n', 'invalid duration "10s\\n" (expected e.g. 30s, 10m)'],
    ['2501999793h', 'duration "2501999793h" is too large'],
  ])('%j is rejected', (text, message) => {
    expect(() => parseDuration(text)).toThrow(new RangeError(message));
  });
});
