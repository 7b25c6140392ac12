'use client';

import { useEffect } from 'react';
import { forgetPageOffline } from '@/components/pass-worker';
import { useVisitor } from '@/components/visitor';
import { forgetStoredPass, loadStoredPasses } from '@/lib/pass-storage';
import { passPagePath } from '@/lib/passes';
import { copiesNoLongerHeld } from '@/lib/stored-pass';

/**
 * On My tickets (online, since the server rendered it): removes from the device the visitor's kept pass copies
 * of tickets they no longer hold, and the worker's pages of them, so a code given away does not stay on the
 * device until its own page is opened online again. Renders nothing.
 */
export function ForgetPassesNotHeld({ heldIds, complete }: { heldIds: readonly string[]; complete: boolean }) {
  const visitor = useVisitor();
  const holderId = visitor.known ? visitor.user?.id : undefined;
  const held = heldIds.join(',');
  useEffect(() => {
    if (!holderId) return;
    const ids = copiesNoLongerHeld(loadStoredPasses(), holderId, new Set(held.split(',')), complete);
    for (const id of ids) {
      forgetStoredPass(id);
      void forgetPageOffline(passPagePath(id));
    }
  }, [holderId, held, complete]);
  return null;
}
