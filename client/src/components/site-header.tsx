'use client';

import Link from 'next/link';
import { useVisitor } from './visitor';

/**
 * The same HTML for everyone (the public pages are shared by the edge), filled in by the browser once it knows
 * who is looking. Until then the navigation keeps its row's height, so nothing below it moves; without
 * JavaScript it offers every link, each of which works for anyone (the signed-in pages send a signed-out
 * visitor to sign in; signing out when signed out just goes home). Its links are not prefetched: they lead to
 * pages rendered for each visitor, whose prefetch would bring nothing but the root layout the browser already
 * has, at the cost of a render per link on every page view of a crowd.
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
                  <a href="/tickets/new">Sell a ticket</a>
                </li>
                <li>
                  <a href="/listings">My listings</a>
                </li>
                <li>
                  <a href="/mytickets">My tickets</a>
                </li>
                <li>
                  <a href="/orders">My orders</a>
                </li>
                <li>
                  <a href="/account">Account</a>
                </li>
                <li>
                  <a href="/auth/signin">Sign in</a>
                </li>
                <li>
                  <a href="/auth/signout">Sign out</a>
                </li>
              </ul>
            </noscript>
          ) : (
            <ul>
              {visitor.user ? (
                <>
                  <li className="signed-in-as">
                    {/* The email is the way to the account page (Sign out everywhere): one more link would wrap the row. */}
                    <Link href="/account" prefetch={false}>
                      <span className="visually-hidden">Signed in as </span>
                      {visitor.user.email}
                      <span className="visually-hidden">: your account</span>
                    </Link>
                  </li>
                  <li>
                    <Link href="/tickets/new" prefetch={false}>
                      Sell a ticket
                    </Link>
                  </li>
                  <li>
                    <Link href="/listings" prefetch={false}>
                      My listings
                    </Link>
                  </li>
                  <li>
                    <Link href="/mytickets" prefetch={false}>
                      My tickets
                    </Link>
                  </li>
                  <li>
                    <Link href="/orders" prefetch={false}>
                      My orders
                    </Link>
                  </li>
                  <li>
                    <Link href="/door" prefetch={false}>
                      Door
                    </Link>
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
                    <Link href="/auth/signin" prefetch={false}>
                      Sign in
                    </Link>
                  </li>
                  <li>
                    <Link href="/auth/signup" prefetch={false}>
                      Sign up
                    </Link>
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
