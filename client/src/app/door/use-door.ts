'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { normalisePassCode, parsePassCode } from '@ticketing/common/pass-code';
import { downloadKnowledge, OFFLINE_REQUEST_TIMEOUT_MS, postCheckin } from '@/lib/door/door-api';
import { memoryDoorStore, openDoorStore, type DoorStore } from '@/lib/door/door-store';
import { emptyKnowledge, withAdmission, withDownload, withRevocation, type DoorKnowledge } from '@/lib/door/knowledge';
import { newScanNonce } from '@/lib/door/nonce';
import { decideOffline, verifyPassSignature } from '@/lib/door/offline-check';
import { classifySyncAnswer, type QueuedScan, type SyncConflict } from '@/lib/door/sync';
import { readOnlineCheckin, type DoorVerdict } from '@/lib/door/verdict';

/** One scan as the page lists it. */
export interface ScanRecord {
  nonce: string;
  scannedAt: string;
  verdict: DoorVerdict;
  /** Decided by the page itself, without the service. */
  offline: boolean;
}

/** The door downloads its lists this often while online (the brief's "every minute"). */
const REFRESH_EVERY_MS = 60_000;
/** How often it looks again: uploads a queue left by a failed round, and moves "3 min ago" on. */
const TICK_EVERY_MS = 15_000;
const RECENT_SCANS = 10;

export interface DoorState {
  /** The store is open and what it held is loaded. */
  ready: boolean;
  busy: boolean;
  latest: ScanRecord | null;
  recent: ScanRecord[];
  queue: QueuedScan[];
  conflicts: SyncConflict[];
  refreshedAt: string | null;
  offlineSince: string | null;
  syncing: boolean;
  /** The service answered 401: the session ended (sign in again; the queue waits on this device). */
  signInNeeded: boolean;
  now: Date;
}

export interface DoorActions {
  /** Checks one scanned or typed code; false when a scan is still being checked (nothing was done). */
  scan(text: string): Promise<boolean>;
  syncNow(): void;
  dismissConflict(nonce: string): void;
}

/**
 * The door's state and what it does: checks each scan online, or offline from what it downloaded, keeps the
 * scans it admitted offline in IndexedDB and uploads them when it can. Only the service's answers remove a
 * queued scan; a network failure or a 5xx leaves it for the next round.
 */
export function useDoor(userId: string): DoorState & DoorActions {
  const storeRef = useRef<DoorStore>(memoryDoorStore());
  const knowledgeRef = useRef<DoorKnowledge>(emptyKnowledge());
  const queueRef = useRef<QueuedScan[]>([]);
  const busyRef = useRef(false);
  const syncingRef = useRef(false);
  const lastRefreshRef = useRef(0);
  const offlineRef = useRef(false);

  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [latest, setLatest] = useState<ScanRecord | null>(null);
  const [recent, setRecent] = useState<ScanRecord[]>([]);
  const [queue, setQueue] = useState<QueuedScan[]>([]);
  const [conflicts, setConflicts] = useState<SyncConflict[]>([]);
  const [refreshedAt, setRefreshedAt] = useState<string | null>(null);
  const [offlineSince, setOfflineSince] = useState<string | null>(null);
  const [syncing, setSyncing] = useState(false);
  const [signInNeeded, setSignInNeeded] = useState(false);
  const [now, setNow] = useState(() => new Date());

  const updateKnowledge = useCallback((change: (known: DoorKnowledge) => DoorKnowledge) => {
    // Synchronous read-modify-write of the ref: a download and an admission that finish together cannot lose
    // each other's change.
    knowledgeRef.current = change(knowledgeRef.current);
    setRefreshedAt(knowledgeRef.current.refreshedAt);
    void storeRef.current.saveKnowledge(knowledgeRef.current).catch(() => undefined);
  }, []);

  const setQueueTo = useCallback((next: QueuedScan[]) => {
    queueRef.current = next;
    setQueue(next);
  }, []);

  const markOffline = useCallback(() => {
    offlineRef.current = true;
    setOfflineSince((since) => since ?? new Date().toISOString());
  }, []);
  const markOnline = useCallback(() => {
    offlineRef.current = false;
    setOfflineSince(null);
  }, []);

  const refresh = useCallback(async () => {
    lastRefreshRef.current = Date.now();
    const outcome = await downloadKnowledge(knowledgeRef.current.revokedAsOf);
    switch (outcome.kind) {
      case 'downloaded':
        markOnline();
        setSignInNeeded(false);
        updateKnowledge((known) => withDownload(known, outcome.download));
        return;
      case 'offline':
        markOffline();
        return;
      case 'sign-in':
        markOnline();
        setSignInNeeded(true);
        return;
      case 'failed':
        // The service answered but could not give the lists: the freshness shown grows stale and says so.
        return;
    }
  }, [markOffline, markOnline, updateKnowledge]);

  const sync = useCallback(async () => {
    if (syncingRef.current || queueRef.current.length === 0) return;
    syncingRef.current = true;
    setSyncing(true);
    try {
      // In scan order, with each scan's own nonce and time; one failure ends the round, the rest wait with it.
      for (const scan of [...queueRef.current]) {
        const response = await postCheckin({ code: scan.code, nonce: scan.nonce, scannedAt: scan.scannedAt });
        const outcome = classifySyncAnswer(scan, response, knowledgeRef.current.admittedHere);
        if (outcome.kind === 'keep') {
          if (outcome.why === 'unavailable') markOffline();
          if (outcome.why === 'signed-out') setSignInNeeded(true);
          break;
        }
        markOnline();
        if (outcome.kind === 'confirmed') {
          updateKnowledge((known) => withAdmission(known, scan.ticketId, outcome.admittedAt, { here: true }));
        } else {
          const { conflict } = outcome;
          await storeRef.current.addConflict(conflict);
          setConflicts((shown) => [...shown.filter((item) => item.nonce !== conflict.nonce), conflict]);
          learnFromConflict(conflict, scan, updateKnowledge);
        }
        await storeRef.current.dequeue(scan.nonce);
        setQueueTo(queueRef.current.filter((item) => item.nonce !== scan.nonce));
      }
    } catch {
      // IndexedDB refused a write: what was not removed is uploaded again next round (same nonce, same answer).
    } finally {
      syncingRef.current = false;
      setSyncing(false);
    }
  }, [markOffline, markOnline, setQueueTo, updateKnowledge]);

  const record = useCallback((scanRecord: ScanRecord) => {
    setLatest(scanRecord);
    setRecent((shown) => [scanRecord, ...shown].slice(0, RECENT_SCANS));
  }, []);

  const scan = useCallback(
    async (text: string) => {
      if (busyRef.current) return false;
      busyRef.current = true;
      setBusy(true);
      const code = normalisePassCode(text);
      const nonce = newScanNonce();
      const scannedAt = new Date().toISOString();
      try {
        const timeout = offlineRef.current ? OFFLINE_REQUEST_TIMEOUT_MS : undefined;
        const outcome = readOnlineCheckin(await postCheckin({ code, nonce, scannedAt }, timeout));
        if (outcome.kind === 'verdict') {
          markOnline();
          learnFromVerdict(outcome.verdict, code, updateKnowledge);
          record({ nonce, scannedAt, verdict: outcome.verdict, offline: false });
          return true;
        }
        if (outcome.kind === 'sign-in') {
          setSignInNeeded(true);
          const verdict: DoorVerdict = {
            kind: 'not-checked',
            message: 'Your session has ended: sign in again, then scan again.',
          };
          record({ nonce, scannedAt, verdict, offline: false });
          return true;
        }
        // No answer: the door decides from what it downloaded, and keeps an admission for the service.
        markOffline();
        const parsed = parsePassCode(code);
        const known = knowledgeRef.current;
        const signature = parsed ? await verifyPassSignature(parsed, known.key?.publicKey) : 'invalid';
        const admittedOffline = new Map(queueRef.current.map((queued) => [queued.ticketId, queued.scannedAt]));
        const verdict = decideOffline({ parsed, signature, knowledge: known, admittedOffline, scannedAt });
        if (verdict.kind === 'admitted-offline' && parsed) {
          const queued: QueuedScan = { nonce, code, ticketId: parsed.ticketId, title: verdict.title, scannedAt };
          setQueueTo([...queueRef.current, queued]);
          await storeRef.current.enqueue(queued).catch(() => undefined);
        }
        record({ nonce, scannedAt, verdict, offline: true });
        return true;
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [markOffline, markOnline, record, setQueueTo, updateKnowledge],
  );

  const dismissConflict = useCallback((nonce: string) => {
    setConflicts((shown) => shown.filter((conflict) => conflict.nonce !== nonce));
    void storeRef.current.dismissConflict(nonce).catch(() => undefined);
  }, []);

  // Open the user's store, show what it held, then bring it up to date.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const store = (await openDoorStore(userId)) ?? memoryDoorStore();
      const [known, queued, answered] = await Promise.all([
        store.readKnowledge(),
        store.queuedScans(),
        store.conflicts(),
      ]).catch(() => [emptyKnowledge(), [], []] as const);
      if (cancelled) return;
      storeRef.current = store;
      knowledgeRef.current = known;
      setRefreshedAt(known.refreshedAt);
      setQueueTo([...queued]);
      setConflicts([...answered]);
      if (typeof navigator !== 'undefined' && navigator.onLine === false) markOffline();
      setReady(true);
      await refresh();
      await sync();
    })();
    return () => {
      cancelled = true;
    };
  }, [userId, refresh, sync, setQueueTo, markOffline]);

  // Every minute the lists (every tick while offline: the download is how the door sees the network is back);
  // every tick the queue (a failed round is retried) and the clock.
  useEffect(() => {
    if (!ready) return;
    const tick = async () => {
      setNow(new Date());
      if (offlineRef.current || Date.now() - lastRefreshRef.current >= REFRESH_EVERY_MS) await refresh();
      await sync();
    };
    const backOnline = () => {
      void refresh().then(sync);
    };
    const interval = setInterval(() => void tick(), TICK_EVERY_MS);
    window.addEventListener('online', backOnline);
    window.addEventListener('offline', markOffline);
    return () => {
      clearInterval(interval);
      window.removeEventListener('online', backOnline);
      window.removeEventListener('offline', markOffline);
    };
  }, [ready, refresh, sync, markOffline]);

  return {
    ready,
    busy,
    latest,
    recent,
    queue,
    conflicts,
    refreshedAt,
    offlineSince,
    syncing,
    signInNeeded,
    now,
    scan,
    syncNow: () => void refresh().then(sync),
    dismissConflict,
  };
}

/** What an online answer teaches the door for its offline checks until the next download. */
function learnFromVerdict(
  verdict: DoorVerdict,
  code: string,
  updateKnowledge: (change: (known: DoorKnowledge) => DoorKnowledge) => void,
): void {
  const parsed = parsePassCode(code);
  if (!parsed) return;
  if (verdict.kind === 'admitted') {
    updateKnowledge((known) => withAdmission(known, parsed.ticketId, verdict.admittedAt, { here: true }));
  } else if (verdict.kind === 'already-admitted') {
    updateKnowledge((known) => withAdmission(known, parsed.ticketId, verdict.firstAdmittedAt, { here: false }));
  } else if (verdict.kind === 'void' && verdict.reason !== 'replaced') {
    const { reason } = verdict;
    updateKnowledge((known) =>
      withRevocation(known, {
        ticketId: parsed.ticketId,
        generation: parsed.generation,
        reason,
        voidedAt: new Date().toISOString(),
      }),
    );
  }
}

function learnFromConflict(
  conflict: SyncConflict,
  scan: QueuedScan,
  updateKnowledge: (change: (known: DoorKnowledge) => DoorKnowledge) => void,
): void {
  if (conflict.problem === 'admitted-elsewhere' && conflict.firstAdmittedAt) {
    const { firstAdmittedAt } = conflict;
    updateKnowledge((known) => withAdmission(known, scan.ticketId, firstAdmittedAt, { here: false }));
  } else if (conflict.problem === 'void' && conflict.reason) {
    const parsed = parsePassCode(scan.code);
    const { reason } = conflict;
    if (parsed) {
      updateKnowledge((known) =>
        withRevocation(known, {
          ticketId: parsed.ticketId,
          generation: parsed.generation,
          reason,
          voidedAt: new Date().toISOString(),
        }),
      );
    }
  }
}
