// The one API client: JSON in and out, the CSRF token on unsafe requests,
// errors as ApiError (field errors for inline messages, the rest for toasts).

let csrfToken = '';
let onUnauthorized = () => {};

/** @param {string} token */
export function setCSRFToken(token) {
  csrfToken = token || '';
}

/** @param {() => void} fn called when the server says the session is gone */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {Record<string,string>} [fields]
   */
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }

  /** True when the error is about specific form fields. */
  get hasFields() {
    return Object.keys(this.fields).length > 0;
  }
}

/**
 * @param {string} method
 * @param {string} path API path without the /api prefix
 * @param {any} [body]
 * @param {{signal?: AbortSignal}} [opts]
 */
export async function request(method, path, body, opts = {}) {
  /** @type {Record<string,string>} */
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch('/api' + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The server cannot be reached. Is pretix-hubspot still running?');
  }
  if (res.status === 204) return null;
  let json = null;
  try {
    json = await res.json();
  } catch {
    // fall through: a non-JSON answer is reported below
  }
  if (!res.ok) {
    const e = (json && json.error) || {};
    const err = new ApiError(res.status, e.code || 'http_' + res.status, e.message || `The server answered ${res.status}.`, e.fields);
    if (res.status === 401 && err.code === 'not_signed_in') onUnauthorized();
    throw err;
  }
  if (!json) throw new ApiError(res.status, 'bad_response', 'The server sent an unreadable answer.');
  return json.data;
}

export const api = {
  /** @param {string} p @param {{signal?: AbortSignal}} [o] */
  get: (p, o) => request('GET', p, undefined, o),
  /** @param {string} p @param {any} [b] */
  post: (p, b) => request('POST', p, b === undefined ? {} : b),
  /** @param {string} p @param {any} b */
  put: (p, b) => request('PUT', p, b),
  /** @param {string} p @param {any} b */
  patch: (p, b) => request('PATCH', p, b),
  /** @param {string} p */
  del: (p) => request('DELETE', p),
};

/**
 * Builds a query string from the non-empty entries of params.
 * @param {Record<string, any>} params
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
