import { isSearching, readTicketSearch, searchQuery, sortLabel } from '@/lib/ticket-search';

describe('the landing page’s search in the URL', () => {
  it('when the GET form is submitted with some boxes empty, then only the filled ones count', () => {
    const search = readTicketSearch({ q: ' zenith ', minPrice: '', maxPrice: '50', from: '', to: '', sort: 'price' });
    expect(search).toEqual({ q: 'zenith', maxPrice: '50', sort: 'price' });
    expect(isSearching(search)).toBe(true);
  });

  it('when the sort is the default, then it is left out, so the plain landing page has one URL', () => {
    const search = readTicketSearch({ q: '', sort: 'newest' });
    expect(search).toEqual({});
    expect(isSearching(search)).toBe(false);
    expect(searchQuery(search, { limit: '12' })).toBe('limit=12');
  });

  it('when a parameter is repeated, then the first value is taken', () => {
    expect(readTicketSearch({ q: ['jazz', 'rock'] })).toEqual({ q: 'jazz' });
  });

  it('when a next page is linked, then the search comes first and the page parameters after, encoded', () => {
    expect(searchQuery({ q: 'café & co', sort: 'date' }, { cursor: 'abc', limit: undefined })).toBe(
      'q=caf%C3%A9+%26+co&sort=date&cursor=abc',
    );
  });

  it('when the sort is read back, then the lead sentence names it, and an unknown one reads as the default', () => {
    expect(sortLabel({ sort: 'price' })).toBe('Lowest price first');
    expect(sortLabel({ sort: 'date' })).toBe('Soonest event first');
    expect(sortLabel({})).toBe('Newest first');
    expect(sortLabel({ sort: 'oldest' })).toBe('Newest first');
  });
});
