//! What a member's pgbouncer says about itself: its admin console's
//! `SHOW POOLS`, `DATABASES`, `CLIENTS`, `SERVERS` and `CONFIG`, read into
//! typed rows.
//!
//! The admin console answers only the simple query protocol, so every
//! value arrives as text in columns named by pgbouncer; rows are read by
//! column name, never by position, because pgbouncer adds columns between
//! releases (1.18 added the `*_cancel_req` ones). A column that is missing
//! reads as absent, not as zero. Connections are kept as counts per pool
//! and state with the oldest connect time, not one row each: a busy
//! pgbouncer has thousands of clients and the console needs only how many,
//! and since when.

use chrono::{NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use std::time::SystemTime;

/// One `SHOW` answer: column names and rows of optional text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Table {
    fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Each row as a lookup by column name.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        self.rows.iter().map(move |r| Record { t: self, row: r })
    }
}

pub struct Record<'a> {
    t: &'a Table,
    row: &'a [Option<String>],
}

impl Record<'_> {
    pub fn text(&self, col: &str) -> Option<&str> {
        let i = self.t.col(col)?;
        self.row.get(i)?.as_deref()
    }

    /// Text a client could have chosen (a user or database name), escaped.
    fn name(&self, col: &str) -> String {
        crate::text::escape(self.text(col).unwrap_or("")).into_owned()
    }

    fn num(&self, col: &str) -> Option<i64> {
        self.text(col)?.trim().parse().ok()
    }

    fn flag(&self, col: &str) -> bool {
        self.num(col).is_some_and(|n| n != 0)
    }
}

/// pgbouncer's timestamps: `2026-12-06 15:08:06 UTC`.
pub fn parse_time(s: &str) -> Option<SystemTime> {
    let t = NaiveDateTime::parse_from_str(s.trim().trim_end_matches(" UTC"), "%Y-%m-%d %H:%M:%S")
        .ok()?;
    Some(Utc.from_utc_datetime(&t).into())
}

/// `SHOW POOLS`: one pool per database and user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pool {
    pub database: String,
    pub user: String,
    pub cl_active: i64,
    pub cl_waiting: i64,
    pub sv_active: i64,
    pub sv_idle: i64,
    pub sv_used: i64,
    pub sv_login: i64,
    /// How long the oldest waiting client has waited, in seconds.
    pub maxwait_secs: f64,
    pub pool_mode: Option<String>,
}

/// `SHOW DATABASES`: where a database's pool connects, and its size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolDatabase {
    pub name: String,
    /// Empty for the admin console and for a Unix socket default.
    pub host: Option<String>,
    pub port: Option<i64>,
    pub database: String,
    pub pool_size: Option<i64>,
    pub pool_mode: Option<String>,
    pub max_connections: Option<i64>,
    pub current_connections: Option<i64>,
    pub paused: bool,
    pub disabled: bool,
}

/// Connections of one pool in one state (`SHOW CLIENTS` or `SERVERS`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conns {
    pub database: String,
    pub user: String,
    pub state: String,
    /// The server's address (servers only).
    pub addr: Option<String>,
    pub count: i64,
    #[serde(skip)]
    pub oldest: Option<SystemTime>,
}

/// One pgbouncer, as last read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pgbouncer {
    pub version: Option<String>,
    pub pools: Vec<Pool>,
    pub databases: Vec<PoolDatabase>,
    pub clients: Vec<Conns>,
    pub servers: Vec<Conns>,
    pub max_client_conn: Option<i64>,
    pub default_pool_size: Option<i64>,
    pub pool_mode: Option<String>,
    /// Its `listen_port`: how a HAProxy server row is known to be this
    /// pgbouncer.
    pub listen_port: Option<u16>,
}

/// The admin console's own pseudo-database.
pub const ADMIN_DB: &str = "pgbouncer";

fn pools(t: &Table) -> Vec<Pool> {
    t.records()
        .map(|r| Pool {
            database: r.name("database"),
            user: r.name("user"),
            cl_active: r.num("cl_active").unwrap_or(0),
            cl_waiting: r.num("cl_waiting").unwrap_or(0),
            sv_active: r.num("sv_active").unwrap_or(0),
            sv_idle: r.num("sv_idle").unwrap_or(0),
            sv_used: r.num("sv_used").unwrap_or(0),
            sv_login: r.num("sv_login").unwrap_or(0),
            maxwait_secs: r.num("maxwait").unwrap_or(0) as f64
                + r.num("maxwait_us").unwrap_or(0) as f64 / 1e6,
            pool_mode: r.text("pool_mode").map(str::to_string),
        })
        .collect()
}

fn databases(t: &Table) -> Vec<PoolDatabase> {
    let some = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
    t.records()
        .map(|r| PoolDatabase {
            name: r.name("name"),
            host: some(r.text("host")).map(|h| crate::text::escape(&h).into_owned()),
            port: r.num("port"),
            database: r.name("database"),
            pool_size: r.num("pool_size"),
            pool_mode: some(r.text("pool_mode")),
            max_connections: r.num("max_connections"),
            current_connections: r.num("current_connections"),
            paused: r.flag("paused"),
            disabled: r.flag("disabled"),
        })
        .collect()
}

/// Connections counted by pool, state (and server address).
fn conns(t: &Table, with_addr: bool) -> Vec<Conns> {
    let mut out: Vec<Conns> = Vec::new();
    for r in t.records() {
        let (database, user, state) = (r.name("database"), r.name("user"), r.name("state"));
        let addr = with_addr.then(|| r.name("addr"));
        let at = r.text("connect_time").and_then(parse_time);
        let same = |c: &&mut Conns| {
            c.database == database && c.user == user && c.state == state && c.addr == addr
        };
        match out.iter_mut().find(same) {
            Some(c) => {
                c.count += 1;
                c.oldest = match (c.oldest, at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => out.push(Conns {
                database,
                user,
                state,
                addr,
                count: 1,
                oldest: at,
            }),
        }
    }
    out
}

impl Pgbouncer {
    /// From the answers to `SHOW POOLS`, `DATABASES`, `CLIENTS`, `SERVERS`,
    /// `CONFIG` and `VERSION`.
    pub fn from_tables(
        pools_t: &Table,
        databases_t: &Table,
        clients_t: &Table,
        servers_t: &Table,
        config_t: &Table,
        version_t: &Table,
    ) -> Pgbouncer {
        let setting = |k: &str| {
            config_t
                .records()
                .find(|r| r.text("key") == Some(k))
                .and_then(|r| r.text("value").map(str::to_string))
        };
        Pgbouncer {
            version: version_t
                .records()
                .next()
                .and_then(|r| r.text("version").map(str::to_string)),
            pools: pools(pools_t),
            databases: databases(databases_t),
            clients: conns(clients_t, false),
            servers: conns(servers_t, true),
            max_client_conn: setting("max_client_conn").and_then(|v| v.parse().ok()),
            default_pool_size: setting("default_pool_size").and_then(|v| v.parse().ok()),
            pool_mode: setting("pool_mode"),
            listen_port: setting("listen_port").and_then(|v| v.parse().ok()),
        }
    }

    /// Clients of every pool but the admin console's.
    pub fn clients_total(&self) -> i64 {
        self.pools
            .iter()
            .filter(|p| p.database != ADMIN_DB)
            .map(|p| p.cl_active + p.cl_waiting)
            .sum()
    }

    pub fn database(&self, name: &str) -> Option<&PoolDatabase> {
        self.databases.iter().find(|d| d.name == name)
    }
}
