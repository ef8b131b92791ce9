import { describe, it, expect } from 'vitest';
import { formatDateTime, formatDateTimeZoned, formatDate, formatDateRange, formatMoney, localized, relativeTime, statusBadge, statusText } from './format.js';

describe('format', () => {
  it('shows times in the event time zone', () => {
    const iso = '2026-03-01T23:30:00Z';
    expect(formatDate(iso, 'Europe/Berlin')).not.toBe(formatDate(iso, 'America/New_York'));
    expect(formatDateTime(iso, 'Asia/Tokyo')).toMatch(/8:30|08:30/);
    expect(formatDateTime(iso, 'No/Such_Zone')).not.toBe('');
    expect(formatDateTime('', 'UTC')).toBe('');
  });

  it('names the zone of times outside the page rule', () => {
    const iso = '2026-03-01T23:30:00Z';
    expect(formatDateTimeZoned(iso, 'Asia/Tokyo')).toMatch(/GMT\+9|JST/);
    expect(formatDateTimeZoned(iso, 'UTC')).toMatch(/UTC/);
    expect(formatDateTimeZoned(null, 'UTC')).toBe('');
  });

  it('collapses a one-day range', () => {
    const d = '2026-05-10T09:00:00Z';
    expect(formatDateRange(d, '2026-05-10T17:00:00Z', 'UTC')).toBe(formatDate(d, 'UTC'));
    expect(formatDateRange(d, '2026-05-12T17:00:00Z', 'UTC')).toContain('–');
    expect(formatDateRange(null, null, 'UTC')).toBe('');
  });

  it('formats money with the currency', () => {
    expect(formatMoney('250.00', 'EUR')).toMatch(/250/);
    expect(formatMoney('250.00', 'EUR')).toMatch(/€|EUR/);
    expect(formatMoney('12.5', '')).toBe('12.50');
    expect(formatMoney(null, 'EUR')).toBe('');
    expect(formatMoney('1', 'NOT A CURRENCY')).toBe('1.00 NOT A CURRENCY');
  });

  it('picks a language of a multilingual text', () => {
    expect(localized({ de: 'Konferenz', en: 'Conference' })).toBe('Conference');
    expect(localized({ fr: 'Conférence' })).toBe('Conférence');
    expect(localized(null, 'slug')).toBe('slug');
    expect(localized('plain')).toBe('plain');
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(relativeTime('2026-03-01T11:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-03-01T11:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2026-03-01T15:00:00Z', now)).toBe('in 3 h');
    expect(relativeTime('2026-02-27T12:00:00Z', now)).toBe('2 days ago');
  });

  it('maps statuses to badges', () => {
    expect(statusBadge('p')).toBe('badge-success');
    expect(statusBadge('c')).toBe('badge-danger');
    expect(statusBadge('?')).toBe('');
    expect(statusText('approval pending')).toBe('Approval pending');
  });
});
