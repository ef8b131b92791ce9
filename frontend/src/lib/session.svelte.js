import { api, setCSRFToken } from './api.js';

/** @type {{loaded: boolean, needsSetup: boolean, user: {id:number, username:string}|null}} */
export const session = $state({ loaded: false, needsSetup: false, user: null });

/** Reads the session state from the server (and the CSRF token). */
export async function loadSession() {
  const s = await api.get('/session');
  setCSRFToken(s.csrf_token);
  session.needsSetup = s.needs_setup;
  session.user = s.user;
  session.loaded = true;
}

/** @param {{user: any, csrf_token: string}} s */
export function signedIn(s) {
  setCSRFToken(s.csrf_token);
  session.user = s.user;
  session.needsSetup = false;
}
