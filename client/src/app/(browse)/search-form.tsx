import { Field } from '@/components/field';
import { SORT_LABELS, type SearchField, type TicketSearch } from '@/lib/ticket-search';

/**
 * The landing page's search: a plain GET form, so it works without JavaScript, its values are the page's URL
 * (a search can be bookmarked, shared, and cached by the edge like any page), and the server applies them.
 * Each box shows what the URL says, and the API's message under the box it refused.
 */
export function SearchForm({
  search,
  errors = {},
}: {
  search: TicketSearch;
  errors?: Partial<Record<SearchField, string>>;
}) {
  return (
    <form method="get" action="/" role="search" aria-label="Search tickets" className="search-form">
      <div className="search-words">
        <Field
          id="search-q"
          name="q"
          label="Keywords"
          type="search"
          maxLength={200}
          placeholder="Artist, event or venue"
          defaultValue={search.q}
          error={errors.q}
        />
      </div>
      {/* Grouped under their legend, the boxes' own labels stay short: "Min" of "Price ($)", "From" of "Event date". */}
      <fieldset className="search-range">
        <legend>Price ($)</legend>
        <Field
          id="search-min-price"
          name="minPrice"
          label="Min"
          type="number"
          inputMode="decimal"
          min="0"
          step="0.01"
          defaultValue={search.minPrice}
          error={errors.minPrice}
        />
        <Field
          id="search-max-price"
          name="maxPrice"
          label="Max"
          type="number"
          inputMode="decimal"
          min="0"
          step="0.01"
          defaultValue={search.maxPrice}
          error={errors.maxPrice}
        />
      </fieldset>
      <fieldset className="search-range">
        <legend>Event date</legend>
        <Field id="search-from" name="from" label="From" type="date" defaultValue={search.from} error={errors.from} />
        <Field id="search-to" name="to" label="To" type="date" defaultValue={search.to} error={errors.to} />
      </fieldset>
      <div className="field">
        <label htmlFor="search-sort">Sort by</label>
        <select id="search-sort" name="sort" className="input" defaultValue={search.sort ?? 'newest'}>
          {Object.entries(SORT_LABELS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        {errors.sort && (
          <p className="field-error" role="alert">
            {errors.sort}
          </p>
        )}
      </div>
      <div className="button-row search-actions">
        <button type="submit" className="button button-primary">
          Search
        </button>
        {/* A plain link: the first page with no search, whatever the boxes hold. */}
        <a href="/">Clear</a>
      </div>
    </form>
  );
}
