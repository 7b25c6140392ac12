'use client';

import { useParams } from 'next/navigation';
import { useEffect } from 'react';
import { forgetPageOffline } from '@/components/pass-worker';
import { forgetStoredPass } from '@/lib/pass-storage';
import { passPagePath } from '@/lib/passes';

/** Removes the copy of this page's pass kept on the device, and the worker's copy of the page. Renders nothing. */
export function ForgetPass() {
  const params = useParams<{ id: string }>();
  const id = params?.id;
  useEffect(() => {
    if (!id) return;
    forgetStoredPass(id);
    void forgetPageOffline(passPagePath(id));
  }, [id]);
  return null;
}
