'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { api } from '@/lib/api';
import { nextAttempt } from '@/lib/form-state';
import { SESSION_COOKIE } from '@/lib/session-cookie';
import type { SignOutRequest } from '@ticketing/common/api';

/** Sign out everywhere's state: the refusal's messages, counted so each one is announced. */
export interface SignOutEverywhereState {
  errors: string[];
  attempt: number;
}

/**
 * Ends every session of the account (POST /api/users/signout with `everywhere`): other browsers and any copied
 * cookie are refused by every service within seconds. This browser's cookie is removed here, as the plain
 * sign-out does, and the visitor goes home.
 */
export async function signOutEverywhere(previous: SignOutEverywhereState): Promise<SignOutEverywhereState> {
  const result = await api<unknown>('/api/users/signout', {
    method: 'POST',
    body: { everywhere: true } satisfies SignOutRequest,
  });
  if (result.ok || result.status === 401) {
    // 401: this session had already ended (revoked elsewhere, or expired); signed out here too.
    (await cookies()).delete(SESSION_COOKIE);
    redirect('/');
  }
  return { errors: result.errors.map((error) => error.message), attempt: nextAttempt(previous) };
}
