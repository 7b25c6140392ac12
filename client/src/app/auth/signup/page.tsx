import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { getCurrentUser } from '@/lib/api';
import { toSameOriginPath } from '@/lib/same-origin-path';
import { AuthForm } from '../auth-form';

export const metadata: Metadata = { title: 'Sign up' };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const { next: nextParam } = await searchParams;
  const next = toSameOriginPath(nextParam);
  if (await getCurrentUser()) redirect(next);
  return (
    <section className="panel narrow" aria-labelledby="signup-heading">
      <h1 id="signup-heading">Create your account</h1>
      <p className="lead">One account to buy tickets and to sell the ones you cannot use.</p>
      <AuthForm mode="signup" next={next} />
    </section>
  );
}
