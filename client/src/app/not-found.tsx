import Link from 'next/link';

export default function NotFound() {
  return (
    <section className="panel state-page">
      <h1>Not found</h1>
      <p className="lead">We could not find that page, ticket or order. It may have been removed.</p>
      <Link href="/" className="button button-primary">
        Browse tickets
      </Link>
    </section>
  );
}
