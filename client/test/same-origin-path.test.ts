import { STAND_IN_ORIGIN, toSameOriginPath } from '@/lib/same-origin-path';

const SITE = 'https://tickets.example';

describe('toSameOriginPath: where ?next= may send a visitor after signing in', () => {
  it.each([
    ['/', '/'],
    ['/orders', '/orders'],
    ['/orders/6f1c0d5e-1b2a-4c3d-8e9f-0a1b2c3d4e5f', '/orders/6f1c0d5e-1b2a-4c3d-8e9f-0a1b2c3d4e5f'],
    ['/tickets/new?from=header#price', '/tickets/new?from=header#price'],
    ['orders', '/orders'],
    // Still on the site: an encoding that was not decoded stays a harmless path segment.
    ['/%09/evil.example', '/%09/evil.example'],
    ['/%5Cevil.example', '/%5Cevil.example'],
    // A URL with the site's own scheme and no slashes is relative to the site (WHATWG URL).
    ['https:evil.example', '/evil.example'],
    [`${SITE}/listings`, '/listings'],
  ])('when next is %j, then the visitor goes to %j', (next, expected) => {
    expect(toSameOriginPath(next, SITE)).toBe(expected);
  });

  it.each([
    // The example, as the page receives it (the query string's %09 decoded to a tab).
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '\\/evil.example',
    ' //evil.example',
    '\t//evil.example',
    'https://evil.example',
    'HTTPS://evil.example/orders',
    'http:evil.example',
    'http://tickets.example.evil.example/',
    'https://tickets.example@evil.example/',
    'javascript:alert(document.cookie)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    // Resolves on the site, but its path starts with "//", which a browser reads as another host.
    '/..//evil.example',
    '/.//evil.example',
    '/a/../..//evil.example',
    'http://[::1',
    '',
  ])('when next is %j, then the visitor goes home instead', (next) => {
    expect(toSameOriginPath(next, SITE)).toBe('/');
  });

  it('when next is missing or repeated in the query string, then the visitor goes home', () => {
    expect(toSameOriginPath(undefined, SITE)).toBe('/');
    expect(toSameOriginPath(null, SITE)).toBe('/');
    expect(toSameOriginPath(['/orders', '//evil.example'], SITE)).toBe('/');
  });

  it('when the site origin is unknown (a server behind the gateway), then the stand-in gives the same answers', () => {
    for (const next of ['/orders?x=1', '/\t/evil.example', '//evil.example', '/..//evil.example', 'javascript:x']) {
      expect(toSameOriginPath(next)).toBe(toSameOriginPath(next, SITE));
    }
    expect(new URL(STAND_IN_ORIGIN).hostname.endsWith('.invalid')).toBe(true);
  });
});
