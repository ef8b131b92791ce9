// Formatting of pretix data for people: multilingual names, dates in the
// event's time zone, money in the event's currency, order states.

/** @type {Map<string, Intl.DateTimeFormat>} */
const dateFormats = new Map();

/**
 * @param {Intl.DateTimeFormatOptions} opts
 * @param {string} [timeZone]
 */
function dateFormat(opts, timeZone) {
  const key = JSON.stringify(opts) + '|' + (timeZone || '');
  let f = dateFormats.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(undefined, { ...opts, timeZone: timeZone || undefined });
    } catch {
      // An unknown zone name from a misconfigured event: show local time
      // rather than nothing.
      f = new Intl.DateTimeFormat(undefined, opts);
    }
    dateFormats.set(key, f);
  }
  return f;
}

/**
 * Date and time, e.g. "12 Mar 2026, 14:05", in the given IANA time zone.
 * @param {string|null|undefined} iso
 * @param {string} [timeZone]
 */
export function formatDateTime(iso, timeZone) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return dateFormat({ dateStyle: 'medium', timeStyle: 'short' }, timeZone).format(d);
}

/**
 * Date and time labelled with its zone, e.g. "12 Mar 2026, 14:05 CET": for
 * times shown outside the page's one zone rule (account data, the
 * organizer's pulls, which belong to no event). Without a zone, the
 * browser's own is used — and named.
 * @param {string|null|undefined} iso
 * @param {string} [timeZone]
 */
export function formatDateTimeZoned(iso, timeZone) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return dateFormat({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }, timeZone).format(d);
}

/**
 * Date only, e.g. "12 Mar 2026", in the given IANA time zone.
 * @param {string|null|undefined} iso
 * @param {string} [timeZone]
 */
export function formatDate(iso, timeZone) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return dateFormat({ dateStyle: 'medium' }, timeZone).format(d);
}

/**
 * An event's date range: one date, or "from – to" when it spans days.
 * @param {string|null|undefined} from
 * @param {string|null|undefined} to
 * @param {string} [timeZone]
 */
export function formatDateRange(from, to, timeZone) {
  const a = formatDate(from, timeZone);
  const b = formatDate(to, timeZone);
  if (!a) return '';
  return b && b !== a ? `${a} – ${b}` : a;
}

/** @type {Map<string, Intl.NumberFormat>} */
const moneyFormats = new Map();

/**
 * Money as pretix sends it (a decimal string) in a currency, e.g. "€250.00".
 * @param {string|number|null|undefined} amount
 * @param {string} [currency]
 */
export function formatMoney(amount, currency) {
  if (amount === null || amount === undefined || amount === '') return '';
  const n = Number(amount);
  if (Number.isNaN(n)) return String(amount);
  if (!currency) return n.toFixed(2);
  let f = moneyFormats.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      return `${n.toFixed(2)} ${currency}`;
    }
    moneyFormats.set(currency, f);
  }
  return f.format(n);
}

/**
 * A pretix multilingual text in the browser's language, else English, else
 * any language that has one.
 * @param {Record<string,string>|string|null|undefined} text
 * @param {string} [fallback]
 */
export function localized(text, fallback = '') {
  if (!text) return fallback;
  if (typeof text === 'string') return text;
  const langs = typeof navigator !== 'undefined' ? [...(navigator.languages || []), navigator.language] : [];
  for (const l of [...langs, 'en']) {
    if (!l) continue;
    if (text[l]) return text[l];
    const short = l.split('-')[0];
    if (text[short]) return text[short];
  }
  return Object.values(text).find(Boolean) || fallback;
}

/** Order states as pretix names them, with the badge that shows them. */
export const orderStatuses = [
  { id: 'n', label: 'Pending', badge: 'badge-warning' },
  { id: 'p', label: 'Paid', badge: 'badge-success' },
  { id: 'e', label: 'Expired', badge: '' },
  { id: 'c', label: 'Canceled', badge: 'badge-danger' },
];

/**
 * An order's state label (the API's status_label, e.g. "approval pending")
 * as a badge text.
 * @param {string} label
 */
export function statusText(label) {
  return label ? label[0].toUpperCase() + label.slice(1) : '';
}

/** @param {string} status */
export function statusBadge(status) {
  return orderStatuses.find((s) => s.id === status)?.badge || '';
}

/**
 * "3 min ago", "in 2 h", "just now" relative to now (ms).
 * @param {string|null|undefined} iso
 * @param {number} now
 */
export function relativeTime(iso, now) {
  if (!iso) return '';
  const sec = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(sec);
  if (abs < 45) return 'just now';
  let text;
  if (abs < 3600) text = `${Math.max(1, Math.round(abs / 60))} min`;
  else if (abs < 86400) text = `${Math.round(abs / 3600)} h`;
  else text = `${Math.round(abs / 86400)} days`;
  return sec < 0 ? `${text} ago` : `in ${text}`;
}

/**
 * A duration for people: "under a minute", "about 12 minutes", "about 3 hours".
 * @param {number} seconds
 */
export function formatDuration(seconds) {
  if (seconds < 60) return 'under a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(seconds / 360) / 10;
  return `about ${hours} hours`;
}

/** HubSpot object types as one record is named. @type {Record<string, string>} */
export const objectNames = {
  contacts: 'Contact', companies: 'Company', deals: 'Deal', line_items: 'Line item', products: 'Product', marketing_events: 'Marketing event',
};

/** The property mapping modes, in the editor's order. */
export const propertyModes = [
  { value: 'overwrite', label: 'Overwrite' },
  { value: 'if_new', label: 'Fill if new' },
  { value: 'if_empty', label: 'Fill if empty' },
  { value: 'append', label: 'Add to list' },
];
