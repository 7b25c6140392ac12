import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { getCurrentUser } from '@/lib/api';
import { toSameOriginPath } from '@/lib/same-origin-path';
import { AuthForm } from '../auth-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const { next: nextParam } = await searchParams;
  const next = toSameOriginPath(nextParam);
  if (await getCurrentUser()) redirect(next);
  return (
    <section className="panel narrow" aria-labelledby="signin-heading">
      <h1 id="signin-heading">Sign in</h1>
      <p className="lead">Welcome back. Sign in to buy, sell and follow your orders.</p>
      <AuthForm mode="signin" next={next} />
    </section>
  );
}
