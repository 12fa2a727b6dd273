import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerSourceRoutes } from '../../src/api/routes-source.js';

// GET /api/source: the git source's state as `status --json` shows it under `source` (docs/fleet.md).

describe('GET /api/source', () => {
  it('answers the source state, or null when the node does not follow git', async () => {
    const state = { url: 'https://git.example.org/fleet.git', ref: 'ring/canary', ring: 'canary', node: 'n1', commit: 'a'.repeat(40), rejected: { commit: 'b'.repeat(40), error: 'not signed', at: '2026-12-01T14:00:00.000Z', kind: 'signature' as const } };
    const withGit = Fastify();
    registerSourceRoutes(withGit, { source: async () => state });
    expect((await withGit.inject({ method: 'GET', url: '/api/source' })).json()).toEqual({ source: state });
    const without = Fastify();
    registerSourceRoutes(without, {});
    expect((await without.inject({ method: 'GET', url: '/api/source' })).json()).toEqual({ source: null });
  });
});
