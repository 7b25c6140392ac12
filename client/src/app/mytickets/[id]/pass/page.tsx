import type { Metadata } from 'next';
import { notFound, redirect } from 'next/navigation';
import { cache } from 'react';
import { PassWorker } from '@/components/pass-worker';
import { api } from '@/lib/api';
import { passQrDrawing } from '@/lib/pass-qr';
import { passApiPath, passPagePath, type Pass } from '@/lib/passes';
import { passCopy } from '@/lib/stored-pass';
import { PassView } from './pass-view';

type Params = { params: Promise<{ id: string }> };

export const dynamic = 'force-dynamic';

const loadPass = cache((id: string) => api<Pass>(passApiPath(id)));

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const result = await loadPass((await params).id);
  // The title names the pass in the offline list of the passes kept on a device (public/pass-sw.js).
  return { title: result.ok ? `Pass: ${result.data.title}` : 'Your pass' };
}

/**
 * One held ticket's pass, big enough to scan at the door, and readable offline once opened: the page keeps its
 * copy on the device and the service worker keeps the page (pass-view.tsx, public/pass-sw.js). A pass that is
 * not the visitor's (any more) is a 404, whose page removes the copy kept here (not-found.tsx).
 */
export default async function PassPage({ params }: Params) {
  const { id } = await params;
  const result = await loadPass(id);
  if (!result.ok) {
    if (result.status === 401) redirect(`/auth/signin?next=${encodeURIComponent(passPagePath(id))}`);
    if (result.status === 404 || result.status === 400) notFound();
  }
  const rendered = result.ok
    ? passCopy(id, result.data, passQrDrawing(result.data.code), new Date().toISOString())
    : undefined;
  return (
    <>
      <PassWorker scope="/mytickets" />
      <PassView id={id} rendered={rendered} problem={result.ok ? undefined : result.errors.map((e) => e.message)} />
    </>
  );
}
