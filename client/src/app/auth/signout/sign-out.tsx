'use client';

import { startTransition, useEffect, useRef } from 'react';
import { signOut } from './actions';

/**
 * Signs out as soon as the page is shown (the header's "Sign out" link leads here); the form runs the same
 * action for visitors without JavaScript.
 */
export function SignOut() {
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    startTransition(async () => {
      await signOut();
    });
  }, []);
  return (
    <form action={signOut}>
      <p className="lead" role="status">
        Signing you out…
      </p>
      <noscript>
        <button type="submit" className="button button-primary">
          Sign out now
        </button>
      </noscript>
    </form>
  );
}
