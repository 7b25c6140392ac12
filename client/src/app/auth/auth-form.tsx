'use client';

import Link from 'next/link';
import { startTransition, useActionState, useRef, type FormEvent } from 'react';
import { ErrorAlert } from '@/components/alert';
import { Field } from '@/components/field';
import { useFocusFirstInvalid } from '@/components/action-form';
import { browserApi } from '@/lib/browser-api';
import { formText, initialFormState, refusedFormState } from '@/lib/form-state';
import { toSameOriginPath } from '@/lib/same-origin-path';
import type { User } from '@ticketing/common/api';
import { signIn, signUp, type AuthField, type AuthFormState } from './actions';

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
const FIELDS: readonly AuthField[] = ['email', 'password'];

/**
 * Signs in or up from the browser itself, once the page runs scripts: the browser's own request reaches auth
 * through the edge, so auth limits attempts by the visitor's address and sets the session cookie on the
 * visitor's scheme (a call from the web app's server would carry the web app's address and its plain-http hop
 * instead). Then a full navigation to `next`, so every part of the page asks again who is signed in.
 */
async function authenticateFromBrowser(
  mode: Mode,
  next: string,
  previous: AuthFormState,
  formData: FormData,
): Promise<AuthFormState> {
  const email = formText(formData, 'email').trim();
  const result = await browserApi<User>(`/api/users/${mode}`, {
    method: 'POST',
    body: { email, password: formText(formData, 'password') },
  });
  if (!result.ok) return refusedFormState(previous, result.errors, FIELDS, { email });
  // The page passed a checked path; checked again against the real origin where the navigation happens.
  window.location.assign(toSameOriginPath(next, window.location.origin));
  return previous;
}

/**
 * Email and password, always posted, so the password never travels in a URL. Before hydration or without
 * JavaScript the form posts to the sign-in or sign-up server action, and the server answers with the next page
 * or this one again with the messages; once the page runs scripts, the browser posts to the API itself (see
 * {@link authenticateFromBrowser}) and the page stays put while it waits (the button says so).
 */
export function AuthForm({ mode, next }: { mode: Mode; next: string }) {
  const [serverState, serverAction, serverPending] = useActionState(mode === 'signin' ? signIn : signUp, INITIAL_STATE);
  const [browserState, browserAction, browserPending] = useActionState(
    (previous: AuthFormState, formData: FormData) => authenticateFromBrowser(mode, next, previous, formData),
    INITIAL_STATE,
  );
  // Only one of the two ever answers on a page: the server's without scripts, the browser's with them.
  const state = browserState.attempt > 0 ? browserState : serverState;
  const pending = serverPending || browserPending;
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, state.attempt);
  const copy = COPY[mode];

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const formData = new FormData(event.currentTarget);
    startTransition(() => browserAction(formData));
  }

  return (
    <form ref={formRef} className="form" action={serverAction} onSubmit={onSubmit} noValidate aria-busy={pending}>
      <input type="hidden" name="next" value={next} />
      <ErrorAlert messages={state.formErrors} />
      {/* type=email for the keyboard and autofill only: the form is noValidate because Chromium's own check
          refuses a non-ASCII local part (josé@example.com) that auth accepts; auth's answer decides. */}
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
