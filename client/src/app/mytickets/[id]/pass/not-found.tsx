import Link from 'next/link';
import { ForgetPass } from './forget-pass';

/**
 * The pass is not the visitor's: never was, or was given or sold away. The copy kept on this device, if any,
 * goes (the service worker also drops its copy of the page on this 404).
 */
export default function PassNotFound() {
  return (
    <section className="panel state-page" aria-labelledby="pass-missing-heading">
      <ForgetPass />
      <h1 id="pass-missing-heading">This pass is not yours</h1>
      <p className="lead">
        You do not hold this ticket: it was transferred or sold to someone else, or it never was yours. Its code no
        longer works for you, and it is no longer kept on this device.
      </p>
      <Link href="/mytickets" className="button button-primary" prefetch={false}>
        My tickets
      </Link>
    </section>
  );
}
