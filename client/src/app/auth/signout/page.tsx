import type { Metadata } from 'next';
import { SignOut } from './sign-out';

export const metadata: Metadata = { title: 'Signing out' };

export default function SignOutPage() {
  return (
    <section className="panel narrow state-page">
      <h1>Signing out</h1>
      <SignOut />
    </section>
  );
}
