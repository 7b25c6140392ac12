import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { emptyKnowledge, type DoorKnowledge } from './knowledge';
import type { QueuedScan, SyncConflict } from './sync';

/**
 * The door's IndexedDB (browser only): what it knows for offline checks, the scans it admitted offline and
 * the conflicts the service answered them with. One database per signed-in user, so a door handed to another
 * issuer never checks codes against the first one's tickets or uploads their scans on the wrong session.
 */
interface DoorSchema extends DBSchema {
  knowledge: { key: 'current'; value: DoorKnowledge };
  queue: { key: string; value: QueuedScan; indexes: { 'by-scanned-at': string } };
  conflicts: { key: string; value: SyncConflict };
}

export interface DoorStore {
  readKnowledge(): Promise<DoorKnowledge>;
  saveKnowledge(knowledge: DoorKnowledge): Promise<void>;
  /** Oldest scan first: the order they are uploaded in. */
  queuedScans(): Promise<QueuedScan[]>;
  enqueue(scan: QueuedScan): Promise<void>;
  dequeue(nonce: string): Promise<void>;
  conflicts(): Promise<SyncConflict[]>;
  addConflict(conflict: SyncConflict): Promise<void>;
  dismissConflict(nonce: string): Promise<void>;
}

/** Opens the user's door database; undefined where IndexedDB is missing or refused (some private windows). */
export async function openDoorStore(userId: string): Promise<DoorStore | undefined> {
  if (typeof indexedDB === 'undefined') return undefined;
  let db: IDBPDatabase<DoorSchema>;
  try {
    db = await openDB<DoorSchema>(`ticketing-door-${userId}`, 1, {
      upgrade(database) {
        database.createObjectStore('knowledge');
        database.createObjectStore('queue', { keyPath: 'nonce' }).createIndex('by-scanned-at', 'scannedAt');
        database.createObjectStore('conflicts', { keyPath: 'nonce' });
      },
    });
  } catch {
    return undefined;
  }
  return {
    async readKnowledge() {
      return { ...emptyKnowledge(), ...(await db.get('knowledge', 'current')) };
    },
    async saveKnowledge(knowledge) {
      await db.put('knowledge', knowledge, 'current');
    },
    queuedScans: () => db.getAllFromIndex('queue', 'by-scanned-at'),
    async enqueue(scan) {
      await db.put('queue', scan);
    },
    dequeue: (nonce) => db.delete('queue', nonce),
    async conflicts() {
      const all = await db.getAll('conflicts');
      return all.sort((a, b) => a.scannedAt.localeCompare(b.scannedAt));
    },
    async addConflict(conflict) {
      await db.put('conflicts', conflict);
    },
    dismissConflict: (nonce) => db.delete('conflicts', nonce),
  };
}

/** The same, in memory, where IndexedDB is unavailable: the door still works, but forgets on reload. */
export function memoryDoorStore(): DoorStore {
  let knowledge = emptyKnowledge();
  const queue = new Map<string, QueuedScan>();
  const conflicts = new Map<string, SyncConflict>();
  return {
    readKnowledge: async () => knowledge,
    saveKnowledge: async (next) => {
      knowledge = next;
    },
    queuedScans: async () => [...queue.values()].sort((a, b) => a.scannedAt.localeCompare(b.scannedAt)),
    enqueue: async (scan) => void queue.set(scan.nonce, scan),
    dequeue: async (nonce) => void queue.delete(nonce),
    conflicts: async () => [...conflicts.values()].sort((a, b) => a.scannedAt.localeCompare(b.scannedAt)),
    addConflict: async (conflict) => void conflicts.set(conflict.nonce, conflict),
    dismissConflict: async (nonce) => void conflicts.delete(nonce),
  };
}
