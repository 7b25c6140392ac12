'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ErrorAlert } from '@/components/alert';
import { Field } from '@/components/field';
import { useRefreshVisitor } from '@/components/visitor';
import { browserApi } from '@/lib/browser-api';
import { splitErrors } from '@/lib/envelope';
import { toSameOriginPath } from '@/lib/same-origin-path';
import type { User } from '@ticketing/common/api';

type Mode = 'signin' | 'signup';

const FIELDS = ['email', 'password'] as const;

const COPY: Record<Mode, { button: string; pending: string; other: string; otherHref: string }> = {
  signin: {
    button: 'Sign in',
    pending: 'Signing in…',
    other: 'New here? Create an account',
    otherHref: '/auth/signup',
  },
  signup: {
    button: 'Sign up',
    pending: 'Creating your account…',
    other: 'Already have an account? Log in',
    otherHref: '/auth/signin',
  },
};

/**
 * Posts to the same-origin `/api/users/signin|signup`, so the session cookie the API sets goes straight to the
 * browser; then asks again who is signed in (the header shows them) and navigates, refreshing the page's data.
 */
export function AuthForm({ mode, next }: { mode: Mode; next: string }) {
  const router = useRouter();
  const refreshVisitor = useRefreshVisitor();
  const [pending, setPending] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [attempt, setAttempt] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const copy = COPY[mode];

  // After a refused attempt, put the keyboard on the first field that needs fixing.
  useEffect(() => {
    if (attempt === 0) return;
    const invalid = formRef.current?.querySelector<HTMLInputElement>('[aria-invalid="true"]');
    invalid?.focus();
  }, [attempt]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const data = new FormData(event.currentTarget);
    setPending(true);
    const result = await browserApi<User>(`/api/users/${mode}`, {
      method: 'POST',
      body: { email: String(data.get('email') ?? '').trim(), password: String(data.get('password') ?? '') },
    });
    if (result.ok) {
      refreshVisitor();
      // The page passed a checked path; checked again against the real origin where the navigation happens.
      router.push(toSameOriginPath(next, window.location.origin));
      router.refresh();
      return;
    }
    const split = splitErrors(result.errors, FIELDS);
    setFieldErrors(split.fieldErrors);
    setFormErrors(split.formErrors);
    setPending(false);
    setAttempt((count) => count + 1);
  }

  return (
    <form ref={formRef} className="form" onSubmit={onSubmit} noValidate aria-busy={pending}>
      <ErrorAlert messages={formErrors} />
      <Field
        id="email"
        name="email"
        label="Email"
        type="email"
        autoComplete="email"
        inputMode="email"
        required
        error={fieldErrors.email}
      />
      <Field
        id="password"
        name="password"
        label="Password"
        type="password"
        autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
        required
        minLength={mode === 'signup' ? 8 : undefined}
        maxLength={128}
        hint={mode === 'signup' ? 'Between 8 and 128 characters.' : undefined}
        error={fieldErrors.password}
      />
      <button type="submit" className="button button-primary" disabled={pending}>
        {pending ? copy.pending : copy.button}
      </button>
      <p className="meta">
        <Link href={next === '/' ? copy.otherHref : `${copy.otherHref}?next=${encodeURIComponent(next)}`}>
          {copy.other}
        </Link>
      </p>
    </form>
  );
}
