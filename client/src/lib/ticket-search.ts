/**
 * The landing page's search, as its GET form puts it in the URL and the API takes it (GET /api/tickets): the
 * same parameter names end to end, so a search is a link anyone can share, and the page needs no JavaScript.
 */

export const SEARCH_FIELDS = ['q', 'minPrice', 'maxPrice', 'from', 'to', 'sort'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];
export type TicketSearch = Partial<Record<SearchField, string>>;

export const SORT_LABELS = {
  newest: 'Newest first',
  price: 'Lowest price first',
  date: 'Soonest event first',
} as const;
export type TicketSort = keyof typeof SORT_LABELS;

/**
 * The search a page URL asks for: one value per field, blanks dropped (the form submits every input, filled
 * or not; an empty box means no filter, never a bad value).
 */
export function readTicketSearch(params: Record<string, string | string[] | undefined>): TicketSearch {
  const search: TicketSearch = {};
  for (const field of SEARCH_FIELDS) {
    const raw = params[field];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    // The default sort adds nothing to the URL or to the edge's cache keys.
    if (value && !(field === 'sort' && value === 'newest')) search[field] = value;
  }
  return search;
}

/** The query string of a search, plus page parameters (`limit`, `cursor`), in a stable order. */
export function searchQuery(search: TicketSearch, extra: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const field of SEARCH_FIELDS) {
    const value = search[field];
    if (value) query.set(field, value);
  }
  for (const [name, value] of Object.entries(extra)) if (value) query.set(name, value);
  return query.toString();
}

/** Whether anything narrows or reorders the list. */
export function isSearching(search: TicketSearch): boolean {
  return SEARCH_FIELDS.some((field) => search[field] !== undefined);
}

/** The sort a search asks for, as the list's lead sentence says it. */
export function sortLabel(search: TicketSearch): string {
  const sort = search.sort;
  return sort !== undefined && sort in SORT_LABELS ? SORT_LABELS[sort as TicketSort] : SORT_LABELS.newest;
}
