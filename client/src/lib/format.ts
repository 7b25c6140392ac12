const currency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
// A fixed time zone keeps the server-rendered text identical to what the browser hydrates.
const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

/** 20.5 → "$20.50". */
export function formatPrice(decimal: number): string {
  return currency.format(decimal);
}

/** 2050 → "$20.50". */
export function formatCents(cents: number): string {
  return currency.format(cents / 100);
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimeFormat.format(date);
}
