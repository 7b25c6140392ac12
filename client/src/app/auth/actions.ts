'use server';

import { redirect } from 'next/navigation';
import { api } from '@/lib/api';
import { formText, refusedFormState, type FormState } from '@/lib/form-state';
import { toSameOriginPath } from '@/lib/same-origin-path';
import type { User } from '@ticketing/common/api';

export type AuthField = 'email' | 'password';
export type AuthFormState = FormState<AuthField>;

const FIELDS: readonly AuthField[] = ['email', 'password'];

/**
 * Signs in or up through auth, with the form posted to this server (never as a query string, also before
 * hydration), then goes to `next`. The session cookie auth sets is copied onto this response by `api`, so it
 * reaches the browser with the redirect; a refusal comes back as the form's state, with the email kept and
 * the password never sent back.
 */
async function authenticate(
  mode: 'signin' | 'signup',
  previous: AuthFormState,
  formData: FormData,
): Promise<AuthFormState> {
  const email = formText(formData, 'email').trim();
  const password = formText(formData, 'password');
  const result = await api<User>(`/api/users/${mode}`, { method: 'POST', body: { email, password } });
  if (!result.ok) return refusedFormState(previous, result.errors, FIELDS, { email });
  // The page checked `next` already, but a posted form can say anything: checked again here.
  redirect(toSameOriginPath(formText(formData, 'next')));
}

export async function signIn(previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  return authenticate('signin', previous, formData);
}

export async function signUp(previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  return authenticate('signup', previous, formData);
}
