'use client';

import Link from 'next/link';

/** Last resort for an unexpected failure while rendering a page; API failures are shown by the pages. */
export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error && 'digest' in error ? String(error.digest) : undefined;
  return (
    <section className="panel state-page">
      <h1>Something went wrong</h1>
      <p className="lead" role="alert">
        This page could not be shown. Please try again.
      </p>
      {digest && <p className="meta">Reference: {digest}</p>}
      <div className="button-row" style={{ justifyContent: 'center' }}>
        <button type="button" className="button button-primary" onClick={() => retry()}>
          Try again
        </button>
        <Link href="/" className="button button-secondary">
          Browse tickets
        </Link>
      </div>
    </section>
  );
}
