//! The embedded store's durable data in SQLite (`<data_dir>/imsdk.db`, docs/STORAGE.md): accounts,
//! friendships, subscription lists with their retention clock, and console settings. Presence
//! (sessions, devices, custom status) is never written: clients rebuild it by reconnecting.
//!
//! One writer thread owns the write connection and groups every change queued while it commits
//! (group commit): a caller awaits [`Db::write`], which returns once its change is on disk, and
//! many concurrent changes share one fsync. Only calls that change durable data wait on it; status
//! changes, pushes and heartbeats never do. The database is read only at start ([`Db::load`]).

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// The database file inside the data directory.
pub const DB_FILE: &str = "imsdk.db";

/// Schema steps, in order: step `i` takes a file from version `i` to `i + 1` (`PRAGMA
/// user_version`). Never edit a released step; add one.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE accounts (app INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (app, id))
         WITHOUT ROWID;
     CREATE TABLE friends (app INTEGER NOT NULL, owner TEXT NOT NULL, friend TEXT NOT NULL,
         PRIMARY KEY (app, owner, friend)) WITHOUT ROWID;
     CREATE TABLE subscriptions (app INTEGER NOT NULL, user TEXT NOT NULL, target TEXT NOT NULL,
         seq INTEGER NOT NULL, PRIMARY KEY (app, user, target)) WITHOUT ROWID;",
    // 2: the retention clock of subscription lists, and console settings (were a JSON file).
    "ALTER TABLE accounts ADD COLUMN offline_at_ms INTEGER;
     CREATE TABLE settings (app INTEGER PRIMARY KEY, json TEXT NOT NULL);",
    // 3: one row per subscription list (its ids in order, one per line) instead of one per entry:
    // a subscribe rewrites one short row, a start reads one row per list.
    "CREATE TABLE subscription_lists (app INTEGER NOT NULL, user TEXT NOT NULL,
         targets TEXT NOT NULL, PRIMARY KEY (app, user)) WITHOUT ROWID;
     INSERT INTO subscription_lists (app, user, targets)
         SELECT app, user, group_concat(target, char(10) ORDER BY seq)
         FROM subscriptions GROUP BY app, user;
     DROP TABLE subscriptions;",
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Most changes queued for the writer; callers wait for room beyond that.
const QUEUE: usize = 4096;
/// Most changes committed in one transaction: large, so that a storm of writes (10,000 users
/// subscribing to 100 each at once) costs a few dozen fsyncs, not a thousand.
const GROUP: usize = 32 * 1024;

/// One change of durable data.
#[derive(Debug, Clone)]
pub enum Op {
    Account {
        app: u64,
        id: String,
    },
    Friend {
        app: u64,
        owner: String,
        friend: String,
        add: bool,
    },
    /// `user`'s whole subscription list, oldest first (empty: none).
    Subscriptions {
        app: u64,
        user: String,
        targets: Vec<String>,
    },
    /// When the account went OFFLINE or UNLOGINED (None: it is online).
    OfflineSince {
        app: u64,
        user: String,
        at_ms: Option<u64>,
    },
    Settings {
        app: u64,
        json: String,
    },
}

struct Job {
    ops: Vec<Op>,
    /// None: nobody waits (the retention clock).
    done: Option<oneshot::Sender<Result<(), String>>>,
}

/// Everything durable of one app, as read at start.
#[derive(Debug, Default)]
pub struct Loaded {
    pub accounts: Vec<String>,
    /// (owner, friend)
    pub friends: Vec<(String, String)>,
    /// user -> its list, oldest first.
    pub subscriptions: HashMap<String, Vec<String>>,
    /// user -> unix ms it went offline, for the accounts that have a subscription list.
    pub offline_since: HashMap<String, u64>,
    pub settings: Option<String>,
}

/// Figures for `/metrics`.
#[derive(Debug, Default)]
pub struct DbStats {
    pub commits: AtomicU64,
    pub commit_micros: AtomicU64,
    pub failed: AtomicU64,
}

/// The open database: the write queue, and the file for reads at start.
pub struct Db {
    path: PathBuf,
    tx: mpsc::Sender<Job>,
    pub stats: Arc<DbStats>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Opens (creating it, mode 0600) and migrates the database of `dir` (created, mode 0700).
/// Refuses a file written by a newer version.
fn open_file(dir: &Path) -> Result<Connection, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("data directory {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let path = dir.join(DB_FILE);
    let existed = path.exists();
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    if !existed {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let _ = existed;
    let at = |e: rusqlite::Error| format!("{}: {e}", path.display());
    // WAL: readers (backup) never block the writer; FULL: a commit is on disk when it returns.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(at)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(at)?;
    // 32 MiB of page cache (the default is 2 MiB): a million subscription entries stay cached,
    // so a storm of subscribes inserts without reading pages back.
    conn.pragma_update(None, "cache_size", -32 * 1024)
        .map_err(at)?;
    // Short: only another process (a backup, an operator's sqlite3) can hold the lock this long.
    conn.busy_timeout(Duration::from_secs(1)).map_err(at)?;
    migrate(&conn, SCHEMA_VERSION).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(conn)
}

/// Brings the file to `target` (tests write older versions with it). A newer file is refused.
pub fn migrate(conn: &Connection, target: u32) -> Result<(), String> {
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(err)?;
    if version > SCHEMA_VERSION {
        return Err(format!(
            "schema version {version} was written by a newer imsdk-server (this one reads up to \
             {SCHEMA_VERSION}); run the newer version or restore a backup"
        ));
    }
    for (i, step) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(version as usize)
    {
        let next = i + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {step}; PRAGMA user_version = {next}; COMMIT;"
        ))
        .map_err(|e| format!("migration to schema {next}: {e}"))?;
        if version > 0 {
            tracing::info!("database migrated to schema {next}");
        }
    }
    Ok(())
}

impl Db {
    /// Opens the database of `dir` and starts its writer thread. Errors say which file and why.
    pub fn open(dir: &Path) -> Result<Db, String> {
        let conn = open_file(dir)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(DbStats::default());
        let writer_stats = Arc::clone(&stats);
        std::thread::Builder::new()
            .name("imsdk-store-writer".into())
            .spawn(move || writer(conn, rx, &writer_stats))
            .map_err(err)?;
        Ok(Db {
            path: dir.join(DB_FILE),
            tx,
            stats,
        })
    }

    /// The database file (its `-wal` file beside it).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commits `ops` in one transaction (grouped with concurrent writes); Ok once on disk.
    pub async fn write(&self, ops: Vec<Op>) -> Result<(), String> {
        if ops.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        let job = Job {
            ops,
            done: Some(done),
        };
        self.tx
            .send(job)
            .await
            .map_err(|_| "store writer stopped".to_owned())?;
        wait.await
            .unwrap_or_else(|_| Err("store writer stopped".to_owned()))
    }

    /// Queues `ops` without waiting (soft state: the retention clock). Dropped if the queue is full.
    pub fn write_soon(&self, ops: Vec<Op>) {
        if self.tx.try_send(Job { ops, done: None }).is_err() {
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Commits one change on a connection of its own, without the writer (at start, before any
    /// other write; callable inside or outside a runtime).
    pub fn write_blocking(&self, op: Op) -> Result<(), String> {
        let mut conn = Connection::open(&self.path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
        commit(&mut conn, std::iter::once(&op))
    }

    /// Reads everything durable of `app`.
    pub fn load(&self, app: u64) -> Result<Loaded, String> {
        let conn = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(err)?;
        let mut out = Loaded::default();
        let mut stmt = conn
            .prepare("SELECT id, offline_at_ms FROM accounts WHERE app = ?1")
            .map_err(err)?;
        let mut offline: HashMap<String, u64> = HashMap::new();
        let rows = stmt
            .query_map([app as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
            })
            .map_err(err)?;
        for row in rows {
            let (id, at) = row.map_err(err)?;
            if let Some(at) = at {
                offline.insert(id.clone(), at.max(0) as u64);
            }
            out.accounts.push(id);
        }
        let mut stmt = conn
            .prepare("SELECT owner, friend FROM friends WHERE app = ?1")
            .map_err(err)?;
        let rows = stmt
            .query_map([app as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(err)?;
        for row in rows {
            out.friends.push(row.map_err(err)?);
        }
        let mut stmt = conn
            .prepare("SELECT user, targets FROM subscription_lists WHERE app = ?1")
            .map_err(err)?;
        let rows = stmt
            .query_map([app as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(err)?;
        for row in rows {
            let (user, targets) = row.map_err(err)?;
            if let Some(at) = offline.get(&user) {
                out.offline_since.insert(user.clone(), *at);
            }
            let list = targets.split('\n').filter(|t| !t.is_empty());
            out.subscriptions
                .insert(user, list.map(str::to_owned).collect());
        }
        out.settings = conn
            .query_row(
                "SELECT json FROM settings WHERE app = ?1",
                [app as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        Ok(out)
    }
}

/// The writer thread: takes every job queued (up to [`GROUP`] changes), commits them in one
/// transaction, then answers each. When a group fails, its jobs are retried one by one so that one
/// bad change (or a full disk that frees up) fails only its own caller.
fn writer(mut conn: Connection, mut rx: mpsc::Receiver<Job>, stats: &DbStats) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        let mut count = jobs[0].ops.len();
        while count < GROUP {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.ops.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let started = Instant::now();
        match commit(&mut conn, jobs.iter().flat_map(|j| j.ops.iter())) {
            Ok(()) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats
                    .commit_micros
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                for job in jobs {
                    if let Some(done) = job.done {
                        let _ = done.send(Ok(()));
                    }
                }
            }
            Err(_) => {
                for job in jobs {
                    let result = commit(&mut conn, job.ops.iter());
                    if let Err(e) = &result {
                        stats.failed.fetch_add(1, Ordering::Relaxed);
                        tracing::error!("store write failed: {e}");
                    }
                    if let Some(done) = job.done {
                        let _ = done.send(result);
                    }
                }
            }
        }
    }
}

fn commit<'a>(conn: &mut Connection, ops: impl Iterator<Item = &'a Op>) -> Result<(), String> {
    let tx = conn.transaction().map_err(err)?;
    for op in ops {
        apply(&tx, op).map_err(err)?;
    }
    tx.commit().map_err(err)
}

fn apply(tx: &rusqlite::Transaction<'_>, op: &Op) -> rusqlite::Result<()> {
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<()> {
        tx.prepare_cached(sql)?.execute(p)?;
        Ok(())
    };
    match op {
        Op::Account { app, id } => run(
            "INSERT OR IGNORE INTO accounts (app, id) VALUES (?1, ?2)",
            params![*app as i64, id],
        ),
        Op::Friend {
            app,
            owner,
            friend,
            add: true,
        } => run(
            "INSERT OR IGNORE INTO friends (app, owner, friend) VALUES (?1, ?2, ?3)",
            params![*app as i64, owner, friend],
        ),
        Op::Friend {
            app,
            owner,
            friend,
            add: false,
        } => run(
            "DELETE FROM friends WHERE app = ?1 AND owner = ?2 AND friend = ?3",
            params![*app as i64, owner, friend],
        ),
        Op::Subscriptions { app, user, targets } if targets.is_empty() => run(
            "DELETE FROM subscription_lists WHERE app = ?1 AND user = ?2",
            params![*app as i64, user],
        ),
        Op::Subscriptions { app, user, targets } => run(
            "INSERT OR REPLACE INTO subscription_lists (app, user, targets) VALUES (?1, ?2, ?3)",
            params![*app as i64, user, targets.join("\n")],
        ),
        Op::OfflineSince { app, user, at_ms } => run(
            "UPDATE accounts SET offline_at_ms = ?3 WHERE app = ?1 AND id = ?2",
            params![*app as i64, user, at_ms.map(|t| t as i64)],
        ),
        Op::Settings { app, json } => run(
            "INSERT OR REPLACE INTO settings (app, json) VALUES (?1, ?2)",
            params![*app as i64, json],
        ),
    }
}

/// `imsdk-server backup`: a consistent copy of the database of `dir` into `dest`, taken with
/// SQLite's online backup API while a server may be writing (WAL readers do not block it).
pub fn backup(dir: &Path, dest: &Path) -> Result<(), String> {
    let path = dir.join(DB_FILE);
    if !path.exists() {
        return Err(format!("{}: no database", path.display()));
    }
    let src = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    src.busy_timeout(Duration::from_secs(5)).map_err(err)?;
    let tmp = dest.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    {
        let mut out = Connection::open(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        let backup = rusqlite::backup::Backup::new(&src, &mut out).map_err(err)?;
        // Whole steps of 1,024 pages, yielding between them so the writer is never held long.
        backup
            .run_to_completion(1024, Duration::from_millis(5), None)
            .map_err(err)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
    }
    std::fs::rename(&tmp, dest).map_err(|e| format!("{}: {e}", dest.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(open_file(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let e = open_file(dir.path()).err().unwrap();
        assert!(e.contains("newer imsdk-server"), "{e}");
    }

    #[test]
    fn first_schema_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        migrate(&conn, 1).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts VALUES (7, 'a'), (7, 'b');
             INSERT INTO friends VALUES (7, 'a', 'b');
             INSERT INTO subscriptions VALUES (7, 'a', 'b', 5), (7, 'b', 'a', 9), (7, 'b', 'c', 2);",
        )
        .unwrap();
        drop(conn);
        let db = Db::open(dir.path()).unwrap();
        let loaded = db.load(7).unwrap();
        assert_eq!(loaded.accounts.len(), 2);
        assert_eq!(loaded.friends, vec![("a".into(), "b".into())]);
        assert_eq!(loaded.subscriptions["a"], vec!["b".to_owned()]);
        // Lists keep their order (by the old sequence numbers).
        assert_eq!(
            loaded.subscriptions["b"],
            vec!["c".to_owned(), "a".to_owned()]
        );
    }

    fn accounts(app: u64, from: usize, n: usize) -> Vec<Op> {
        (from..from + n)
            .map(|i| Op::Account {
                app,
                id: format!("u{i}"),
            })
            .collect()
    }

    /// The writer queue's bound: soft writes queued while the writer is stuck (another process
    /// holds the file's write lock) beyond [`QUEUE`] jobs (plus at most one group the writer
    /// already took) are dropped and counted; the accepted ones all land once it is free.
    #[test]
    fn soft_writes_beyond_the_queue_are_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let blocker = Connection::open(dir.path().join(DB_FILE)).unwrap();
        blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        // The writer now waits up to its busy timeout (1 s) on its first commit: these are queued
        // within it (try_send, microseconds each).
        let n = QUEUE + GROUP + 1_000;
        for i in 0..n {
            db.write_soon(accounts(9, i, 1));
        }
        let dropped = db.stats.failed.load(Ordering::Relaxed) as usize;
        blocker.execute_batch("COMMIT").unwrap();
        assert!(dropped >= n - QUEUE - GROUP, "dropped {dropped} of {n}");
        assert!(dropped <= n - QUEUE, "dropped {dropped} of {n}");
        // A durable write after them: answered once everything queued before it is on disk.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(db.write(accounts(9, n, 1))).unwrap();
        let loaded = db.load(9).unwrap().accounts.len();
        assert_eq!(loaded, n - dropped + 1, "every accepted write landed");
    }

    /// The commit group's bound: jobs of [`GROUP`] changes each are committed one per
    /// transaction, however many are queued at once.
    #[test]
    fn a_commit_takes_at_most_one_group_of_changes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        for j in 0..3 {
            db.write_soon(accounts(5, j * GROUP, GROUP));
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(db.write(accounts(5, 3 * GROUP, 1))).unwrap();
        assert_eq!(db.stats.commits.load(Ordering::Relaxed), 4);
        assert_eq!(db.load(5).unwrap().accounts.len(), 3 * GROUP + 1);
    }
}
