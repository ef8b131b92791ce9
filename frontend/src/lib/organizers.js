// Organizer names for breadcrumbs and headings: people know an organizer by
// its name, not its slug. Asked once per slug and page load.
import { api } from './api.js';

/** @type {Map<string, Promise<string>>} */
const names = new Map();

/**
 * The organizer's name, or "" when it cannot be read (the slug is shown).
 * @param {string} slug
 * @returns {Promise<string>}
 */
export function organizerName(slug) {
  let p = names.get(slug);
  if (!p) {
    p = api.get(`/organizers/${encodeURIComponent(slug)}`).then((/** @type {any} */ o) => o.name || '', () => '');
    names.set(slug, p);
  }
  return p;
}
