import Link from 'next/link';
import type { ApiFailure } from '@/lib/envelope';

/**
 * What a page shows when the API could not give it its data: a clear sentence instead of a crash. A stopped
 * service (no answer, or the gateway's 502/503/504) is called out as such.
 */
export function ApiProblem({ failure, title, retryHref }: { failure: ApiFailure; title?: string; retryHref?: string }) {
  const unavailable = failure.status >= 502 && failure.status <= 504;
  const heading = title ?? (unavailable ? 'Service unavailable' : 'Something went wrong');
  return (
    <section className="panel state-page" aria-labelledby="problem-heading">
      <h1 id="problem-heading">{heading}</h1>
      <div role="alert">
        {failure.errors.map((error) => (
          <p key={`${error.field ?? ''}:${error.message}`}>{error.message}</p>
        ))}
      </div>
      <p className="lead">
        {unavailable
          ? 'Part of Ticketing is not answering. Your tickets and orders are safe; reload this page in a moment.'
          : 'You can go back to the tickets for sale and try again.'}
      </p>
      {unavailable && retryHref ? (
        <a href={retryHref} className="button button-primary">
          Try again
        </a>
      ) : (
        <Link href="/" className="button button-secondary">
          Browse tickets
        </Link>
      )}
    </section>
  );
}
