'use client';

import Link from 'next/link';
import { useActionState, useRef } from 'react';
import { ErrorAlert } from '@/components/alert';
import { Field } from '@/components/field';
import { submitKeepingValues, useFocusFirstInvalid } from '@/components/action-form';
import { initialFormState } from '@/lib/form-state';
import { signIn, signUp, type AuthFormState } from './actions';

type Mode = 'signin' | 'signup';

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

const INITIAL_STATE: AuthFormState = initialFormState();

/**
 * Email and password, posted to the sign-in or sign-up server action: the same POST with or without
 * JavaScript, so the password never travels in a URL, even when the form is submitted before the page has
 * hydrated. With JavaScript the page stays put while the action runs (the button says so) and only its answer
 * is applied; without, the server answers with the next page, or this one again with the messages.
 */
export function AuthForm({ mode, next }: { mode: Mode; next: string }) {
  const [state, formAction, pending] = useActionState(mode === 'signin' ? signIn : signUp, INITIAL_STATE);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, state.attempt);
  const copy = COPY[mode];

  return (
    <form
      ref={formRef}
      className="form"
      action={formAction}
      onSubmit={submitKeepingValues(formAction)}
      noValidate
      aria-busy={pending}
    >
      <input type="hidden" name="next" value={next} />
      <ErrorAlert messages={state.formErrors} />
      <Field
        id="email"
        name="email"
        label="Email"
        type="email"
        autoComplete="email"
        inputMode="email"
        required
        defaultValue={state.values.email}
        error={state.fieldErrors.email}
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
        error={state.fieldErrors.password}
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
