// A small path router: the history API, one route table, params from
// patterns like /organizers/:org/events/:event.

import { matchPath, resolve } from './paths.js';

export { matchPath, resolve };

export const location = $state({ path: window.location.pathname, search: window.location.search });

function sync() {
  location.path = window.location.pathname;
  location.search = window.location.search;
}

/** @type {(() => string) | null} */
let leaveGuard = null;

/**
 * Asks before in-app navigation leaves a page: guard returns the question
 * ("" lets the user go). Returns the function that removes it.
 * @param {() => string} guard
 */
export function guardLeaving(guard) {
  leaveGuard = guard;
  return () => {
    if (leaveGuard === guard) leaveGuard = null;
  };
}

function mayLeave() {
  const question = leaveGuard?.() || '';
  return !question || window.confirm(question);
}

/**
 * @param {string} to
 * @param {{replace?: boolean}} [opts]
 */
export function navigate(to, opts = {}) {
  if (to === window.location.pathname + window.location.search) return;
  if (!mayLeave()) return;
  if (opts.replace) window.history.replaceState({}, '', to);
  else window.history.pushState({}, '', to);
  sync();
  window.scrollTo(0, 0);
}

/** Intercepts clicks on same-origin links so they navigate without a reload. */
export function interceptLinks() {
  window.addEventListener('popstate', () => {
    // Back/forward already moved the URL: put it back when the user stays.
    if (!mayLeave()) window.history.pushState({}, '', location.path + location.search);
    else sync();
  });
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = /** @type {HTMLElement} */ (ev.target).closest('a');
    if (!a || a.target || a.hasAttribute('download') || a.dataset.external !== undefined) return;
    const url = new URL(a.href, window.location.href);
    if (url.origin !== window.location.origin) return;
    if (/^\/(api|oauth|webhooks)\//.test(url.pathname)) return;
    ev.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** Current query parameters. */
export function queryParams() {
  return new URLSearchParams(location.search);
}
