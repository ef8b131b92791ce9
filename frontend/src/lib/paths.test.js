import { describe, it, expect } from 'vitest';
import { matchPath, resolve } from './paths.js';

describe('matchPath', () => {
  it.each([
    ['/', '/', {}],
    ['/organizers/:org', '/organizers/acme', { org: 'acme' }],
    ['/organizers/:org/events/:event', '/organizers/acme/events/conf-2026/', { org: 'acme', event: 'conf-2026' }],
    ['/o/:code', '/o/AB%2FC', { code: 'AB/C' }],
    ['/organizers/:org', '/organizers/acme/events', null],
    ['/settings', '/other', null],
    ['/o/:code', '/o/%E0%A4%A', null],
  ])('%s against %s', (pattern, path, want) => {
    expect(matchPath(pattern, path)).toEqual(want);
  });
});

describe('resolve', () => {
  const routes = [{ path: '/a/new' }, { path: '/a/:id' }];
  it('takes the first matching route', () => {
    expect(resolve(routes, '/a/new').route).toBe(routes[0]);
    expect(resolve(routes, '/a/7')).toEqual({ route: routes[1], params: { id: '7' } });
    expect(resolve(routes, '/b')).toBeNull();
  });
});
