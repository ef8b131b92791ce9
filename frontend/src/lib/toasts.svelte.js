// Toast messages: errors that are not about a form field, and confirmations.

let nextId = 1;

/** @type {{id:number, kind:'error'|'success'|'info', text:string}[]} */
export const toasts = $state([]);

/**
 * @param {'error'|'success'|'info'} kind
 * @param {string} text
 * @param {number} [ms] 0 keeps it until dismissed
 */
export function toast(kind, text, ms = kind === 'error' ? 8000 : 4000) {
  const id = nextId++;
  toasts.push({ id, kind, text });
  if (ms > 0) setTimeout(() => dismiss(id), ms);
  return id;
}

/** @param {number} id */
export function dismiss(id) {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

/**
 * Shows an error: field errors go to setFields for inline display, anything
 * else becomes a toast.
 * @param {any} err
 * @param {(fields: Record<string,string>) => void} [setFields]
 */
export function showError(err, setFields) {
  if (err && err.name === 'AbortError') return;
  if (setFields && err && err.fields && Object.keys(err.fields).length) {
    setFields(err.fields);
    if (err.message) toast('error', err.message);
    return;
  }
  toast('error', (err && err.message) || String(err));
}
