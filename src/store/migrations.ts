// Numbered schema migrations; PRAGMA user_version holds the number of the last one applied. A
// migration is appended, never edited: databases in the field have run the old ones.

export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;

      -- one row per (jail, ip) while banned; applied = 0 while the firewall has not confirmed it
      CREATE TABLE bans (
        jail      TEXT    NOT NULL,
        ip        TEXT    NOT NULL,
        start     INTEGER NOT NULL,
        until     INTEGER,            -- NULL: permanent
        ban_count INTEGER NOT NULL,
        reason    TEXT    NOT NULL,
        applied   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (jail, ip)
      ) WITHOUT ROWID;

      -- every ban ever made (bantime.increment looks here), pruned by dbpurgeage
      CREATE TABLE ban_history (
        id        INTEGER PRIMARY KEY,
        jail      TEXT    NOT NULL,
        ip        TEXT    NOT NULL,
        start     INTEGER NOT NULL,
        until     INTEGER,
        ban_count INTEGER NOT NULL,
        reason    TEXT    NOT NULL
      );
      CREATE INDEX ban_history_ip ON ban_history (ip, start);
      CREATE INDEX ban_history_start ON ban_history (start);

      CREATE TABLE positions (
        path            TEXT PRIMARY KEY,
        inode           INTEGER NOT NULL,
        offset          INTEGER NOT NULL,
        first_line_hash TEXT    NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    sql: `
      -- failures inside findtime per (jail, address), so a restart does not reset an attacker's count;
      -- times: JSON array of event times (ms), oldest first, at most maxretry; newest: its last one
      CREATE TABLE failure_windows (
        jail   TEXT    NOT NULL,
        ip     TEXT    NOT NULL,
        times  TEXT    NOT NULL,
        newest INTEGER NOT NULL,
        PRIMARY KEY (jail, ip)
      ) WITHOUT ROWID;
      CREATE INDEX failure_windows_newest ON failure_windows (jail, newest);
    `,
  },
  {
    version: 3,
    sql: `
      -- the last good list of each blocklist feed (store/feed-store.ts): entries newline-separated,
      -- canonical, before screening; cursor: APIBan's next ID; full_at: when the list was last whole
      CREATE TABLE feed_lists (
        name       TEXT    PRIMARY KEY,
        entries    TEXT    NOT NULL,
        fetched_at INTEGER NOT NULL,
        cursor     TEXT,
        full_at    INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    sql: `
      -- [cluster]: the last stream entry read from Redis, per key prefix, so a restart resumes there
      CREATE TABLE cluster_cursor (
        prefix  TEXT PRIMARY KEY,
        last_id TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
]);

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
