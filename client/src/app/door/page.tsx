import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { PassWorker } from '@/components/pass-worker';
import { getCurrentUser } from '@/lib/api';
import { DoorScanner } from './door-scanner';
import './door.css';

export const metadata: Metadata = { title: 'Door' };

/**
 * The issuer's scanner: checks passes to their events at the door, online through the service, offline from
 * what the page downloaded (docs/architecture.md, "The door page offline"). Signed-in only; the service decides whose tickets these
 * are (403 for another issuer's).
 */
export default async function DoorPage() {
  const user = await getCurrentUser();
  if (!user) redirect('/auth/signin?next=%2Fdoor');

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Door</h1>
          <p className="lead">
            Scan the passes to your events. Keep this page open: if the network drops, it goes on checking passes from
            its last download and uploads the admissions when it is back.
          </p>
        </div>
      </div>
      <noscript>
        <div className="alert alert-warning">
          <p>The door needs JavaScript: it checks passes in the browser, also while the network is down.</p>
        </div>
      </noscript>
      <DoorScanner userId={user.id} />
      {/* Keeps this page for a reload with no network (the worker serves /door network-first), from this visit on. */}
      <PassWorker scope="/door" keep="/door" />
    </>
  );
}
