import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { MemoryStore } from '../fakes/memory-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storeContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'vg-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeContract('MemoryStore', { make: () => new MemoryStore() });
storeContract('SqliteStore :memory:', { make: () => SqliteStore.open(':memory:') });
storeContract('SqliteStore file', {
  make: () => SqliteStore.open(join(dir, `db-${++n}`, 'voipguard.sqlite3')),
  reopen: (s) => {
    const path = (s as SqliteStore).path;
    s.close();
    return SqliteStore.open(path);
  },
});
