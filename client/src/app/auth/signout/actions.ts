'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { SESSION_COOKIE } from '@/lib/session-cookie';

/**
 * Ends the session and goes home. The session is the cookie itself (a JWT inside, nothing kept on a
 * server), so ending it is removing it, here, on the response the browser receives through the edge.
 * Relaying auth's cookie-clearing answer instead would fail in a cluster: the client reaches the edge over
 * plain HTTP, and auth will not write its Secure cookie over an unencrypted hop.
 */
export async function signOut(): Promise<void> {
  (await cookies()).delete(SESSION_COOKIE);
  redirect('/');
}
