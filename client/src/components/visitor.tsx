'use client';

import { usePathname } from 'next/navigation';
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { browserApi } from '@/lib/browser-api';
import type { Visitor } from '@/lib/purchase-offer';
import type { CurrentUserResponse } from '@ticketing/common/api';

/*
 * Who is looking at the page, as the browser knows it. The public pages (`/`, `/tickets/[id]`) are rendered
 * once for everyone and shared by the edge for a second, so the server never knows: until the browser has
 * asked `/api/users/currentuser`, the visitor is not `known`, and the page shows what suits anyone (also
 * without JavaScript). Then the header names the user and the ticket page offers what fits them.
 */

const Context = createContext<Visitor>({ known: false });

/** Holds the visitor for every client component below it; asks on the first render and on every navigation. */
export function VisitorProvider({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const [visitor, setVisitor] = useState<Visitor>({ known: false });
  const latestQuestion = useRef(0);

  const refresh = useCallback(() => {
    latestQuestion.current += 1;
    const question = latestQuestion.current;
    void browserApi<CurrentUserResponse>('/api/users/currentuser').then((result) => {
      // Answers can overtake each other (a navigation right after signing out): only the last question counts.
      if (question !== latestQuestion.current) return;
      // Auth unreachable: shown as signed out, as the server-rendered header did.
      setVisitor({ known: true, user: result.ok ? (result.data?.currentUser ?? null) : null });
    });
  }, []);

  // Signing in, up or out always ends with a redirect to another page (their server actions redirect), so a
  // navigation is when the answer can change.
  useEffect(() => refresh(), [pathname, refresh]);

  return <Context.Provider value={visitor}>{children}</Context.Provider>;
}

/** Who is looking: `{ known: false }` until the browser has asked. */
export function useVisitor(): Visitor {
  return useContext(Context);
}
