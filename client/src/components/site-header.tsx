import Link from 'next/link';
import { getCurrentUser } from '@/lib/api';

export async function SiteHeader() {
  const currentUser = await getCurrentUser();
  return (
    <header className="site-header">
      <div className="container">
        <Link href="/" className="brand">
          Ticket<span>ing</span>
        </Link>
        <nav className="site-nav" aria-label="Main">
          <ul>
            {currentUser ? (
              <>
                <li className="signed-in-as">
                  <span className="visually-hidden">Signed in as </span>
                  {currentUser.email}
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
        </nav>
      </div>
    </header>
  );
}
