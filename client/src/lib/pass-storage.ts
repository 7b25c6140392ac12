import { readStoredPass, STORED_PASS_PREFIX, storedPassKey, type PassCopy } from './stored-pass';

/*
 * The pass pages' copies on this device, in localStorage (small: a few kilobytes a pass, and a holder has few).
 * Browser only; every call tolerates a storage that refuses (private mode, full, disabled): the page then works
 * online as before, only not offline.
 */

export function loadStoredPass(id: string): PassCopy | undefined {
  try {
    return readStoredPass(id, window.localStorage.getItem(storedPassKey(id)));
  } catch {
    return undefined;
  }
}

export function keepStoredPass(copy: PassCopy): void {
  try {
    window.localStorage.setItem(storedPassKey(copy.id), JSON.stringify(copy));
  } catch {
    // Storage refused: the page still shows the pass, it just will not open offline.
  }
}

export function forgetStoredPass(id: string): void {
  try {
    window.localStorage.removeItem(storedPassKey(id));
  } catch {
    // Nothing kept, nothing to remove.
  }
}

/** Every copy kept on this device (of any account). */
export function loadStoredPasses(): PassCopy[] {
  const copies: PassCopy[] = [];
  try {
    for (let index = 0; index < window.localStorage.length; index++) {
      const key = window.localStorage.key(index);
      if (!key?.startsWith(STORED_PASS_PREFIX)) continue;
      const copy = readStoredPass(key.slice(STORED_PASS_PREFIX.length), window.localStorage.getItem(key));
      if (copy) copies.push(copy);
    }
  } catch {
    // Storage refused: nothing kept.
  }
  return copies;
}
