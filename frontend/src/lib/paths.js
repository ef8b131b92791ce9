// Pure path matching for the router (kept apart so unit tests need no DOM).

/**
 * Matches path against a pattern; returns params or null.
 * @param {string} pattern
 * @param {string} path
 * @returns {Record<string,string>|null}
 */
export function matchPath(pattern, path) {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  /** @type {Record<string,string>} */
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i]);
      } catch {
        return null;
      }
    } else if (p[i] !== s[i]) return null;
  }
  return params;
}

/**
 * Finds the first route whose pattern matches path.
 * @template T
 * @param {{path: string}[] & T[]} routes
 * @param {string} path
 */
export function resolve(routes, path) {
  for (const r of routes) {
    const params = matchPath(r.path, path);
    if (params) return { route: r, params };
  }
  return null;
}

