'use client';

import Link from 'next/link';
import { useVisitor } from './visitor';

/**
 * The same HTML for everyone (the public pages are shared by the edge), filled in by the browser once it knows
 * who is looking. Until then the navigation keeps its row's height, so nothing below it moves; without
 * JavaScript it offers the links that work for anyone.
 */
export function SiteHeader() {
  const visitor = useVisitor();
  return (
    <header className="site-header">
      <div className="container">
        <Link href="/" className="brand">
          Ticket<span>ing</span>
        </Link>
        <nav className="site-nav" aria-label="Main" aria-busy={!visitor.known}>
          {!visitor.known ? (
            <noscript>
              <ul>
                <li>
                  <a href="/orders">My orders</a>
                </li>
                <li>
                  <a href="/auth/signin">Sign in</a>
                </li>
              </ul>
            </noscript>
          ) : (
            <ul>
              {visitor.user ? (
                <>
                  <li className="signed-in-as">
                    <span className="visually-hidden">Signed in as </span>
                    {visitor.user.email}
                  </li>
                  <li>
                    <Link href="/tickets/new">Sell a ticket</Link>
                  </li>
                  <li>
                    <Link href="/listings">My listings</Link>
                  </li>
                  <li>
                    <Link href="/orders">My orders</Link>
                  </li>
                  <li>
                    {/* Not prefetched: the page signs out as soon as it is shown. */}
                    <Link href="/auth/signout" prefetch={false}>
                      Sign out
                    </Link>
                  </li>
                </>
              ) : (
                <>
                  <li>
                    <Link href="/auth/signin">Sign in</Link>
                  </li>
                  <li>
                    <Link href="/auth/signup">Sign up</Link>
                  </li>
                </>
              )}
            </ul>
          )}
        </nav>
      </div>
    </header>
  );
}
