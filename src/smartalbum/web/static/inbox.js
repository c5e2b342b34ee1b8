"use strict";
// The inbox: files another app shared to smartalbum ("Share → smartalbum" on Android), kept
// in IndexedDB by the service worker until the gallery has uploaded them. Loaded by both
// (sw.js imports it), so they agree on the database.
const smartalbumInbox = (() => {
  const NAME = "smartalbum-inbox", STORE = "files";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { autoIncrement: true });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(mode, work) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const result = work(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(result.value);
        tx.onerror = tx.onabort = () => reject(tx.error);
      });
    } finally { db.close(); }
  }

  return {
    /** Keep these files (File objects, names and types kept). */
    put(files) { return run("readwrite", (store) => { files.forEach((f) => store.add(f)); return {}; }); },
    /** Every kept file: [{key, file}], oldest first. */
    all() {
      return run("readonly", (store) => {
        const found = { value: [] };
        store.openCursor().onsuccess = (e) => {
          const cursor = e.target.result;
          if (cursor) { found.value.push({ key: cursor.key, file: cursor.value }); cursor.continue(); }
        };
        return found;
      });
    },
    /** Forget one kept file. */
    remove(key) { return run("readwrite", (store) => { store.delete(key); return {}; }); },
  };
})();
