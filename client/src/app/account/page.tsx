import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { getCurrentUser } from '@/lib/api';
import { SignOutEverywhereButton } from './sign-out-everywhere-button';

export const metadata: Metadata = { title: 'Your account' };

/** The signed-in visitor's account: who they are, and ending every session at once. */
export default async function AccountPage() {
  const user = await getCurrentUser();
  if (!user) redirect('/auth/signin?next=%2Faccount');

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Your account</h1>
          <p className="lead">Signed in as {user.email}.</p>
        </div>
      </div>
      <section className="panel narrow" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Signed in elsewhere?</h2>
        <p>
          Signing out everywhere ends every session of your account: on this device, on any other, and in any copy of
          its cookie. Changing your password does the same for every session but the one that changed it.
        </p>
        <SignOutEverywhereButton />
      </section>
    </>
  );
}
