import { describe, it, expect, beforeEach, vi } from 'vitest';
import { api, ApiError, setCSRFToken, setUnauthorizedHandler, query } from './api.js';

/** @param {number} status @param {any} body */
function reply(status, body) {
  return { status, ok: status >= 200 && status < 300, json: async () => body };
}

describe('api client', () => {
  beforeEach(() => {
    setCSRFToken('tok');
  });

  it('unwraps data and sends no CSRF header on GET', async () => {
    const fetch = vi.fn(async () => reply(200, { data: { x: 1 } }));
    vi.stubGlobal('fetch', fetch);
    expect(await api.get('/me')).toEqual({ x: 1 });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/me');
    expect(init.headers['X-CSRF-Token']).toBeUndefined();
  });

  it('sends the CSRF token and JSON body on POST', async () => {
    const fetch = vi.fn(async () => reply(204, null));
    vi.stubGlobal('fetch', fetch);
    expect(await api.post('/logout', { a: 1 })).toBeNull();
    const [, init] = fetch.mock.calls[0];
    expect(init.headers['X-CSRF-Token']).toBe('tok');
    expect(init.body).toBe('{"a":1}');
  });

  it('turns error bodies into ApiError with fields', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => reply(400, { error: { code: 'invalid', message: 'Fix it.', fields: { name: 'Required.' } } })));
    const err = await api.post('/x', {}).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.hasFields).toBe(true);
    expect(err.fields.name).toBe('Required.');
    expect(err.message).toBe('Fix it.');
  });

  it('calls the unauthorized handler on 401 not_signed_in', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    vi.stubGlobal('fetch', vi.fn(async () => reply(401, { error: { code: 'not_signed_in', message: 'Please sign in.' } })));
    await expect(api.get('/me')).rejects.toThrow('Please sign in.');
    expect(handler).toHaveBeenCalledOnce();
  });

  it('reports an unreachable server clearly', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    const err = await api.get('/me').catch((e) => e);
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/cannot be reached/);
  });

  it('reports a non-JSON error answer', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => ({ status: 502, ok: false, json: async () => { throw new SyntaxError('x'); } })));
    const err = await api.get('/me').catch((e) => e);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/502/);
  });
});

describe('query', () => {
  it('skips empty values', () => {
    expect(query({ a: 1, b: '', c: null, d: 'x y' })).toBe('?a=1&d=x+y');
    expect(query({})).toBe('');
  });
});
