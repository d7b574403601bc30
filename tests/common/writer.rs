//! A client writing through HAProxy's primary service while a switchover
//! runs (see `switchover_run.rs`, which drives it).
//!
//! The writer behaves like an application, not like a monitor: one row per
//! autocommit INSERT, every 10 ms; on any error it drops the session and
//! reconnects (1 s connect timeout, every 50 ms) and carries on with the next
//! id. An id is "acknowledged" only when its COMMIT answered; an id whose
//! INSERT errored is in doubt (it may or may not have committed). The only
//! promise checked is that every acknowledged id is on the new primary.

use crate::common::SharedLab;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio_postgres::{Client, SimpleQueryMessage};

pub const TABLE: &str = "pgtui_write_load";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
/// Who answered a session: `127.0.1.12 in_recovery=false`.
pub const WHO: &str = "host(inet_server_addr()) || ' in_recovery=' || pg_is_in_recovery()::text";

/// HAProxy's primary service (Pigsty's 5433, autobase's 5000) on the first
/// pg-test node.
#[derive(Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    user: String,
    password: String,
}

impl Target {
    pub fn primary_service(lab: &SharedLab) -> Target {
        let h = &lab.info.haproxy[0];
        Target {
            host: h.host.clone(),
            port: h.ports.primary,
            user: lab.info.superuser.clone(),
            password: lab.info.superuser_password.clone(),
        }
    }

    async fn connect(&self) -> Result<Client, String> {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .password(&self.password)
            .dbname("postgres")
            .application_name("pgtui-write-load")
            .connect_timeout(CONNECT_TIMEOUT)
            .ssl_mode(tokio_postgres::config::SslMode::Prefer);
        // A hardened lab's pg_hba takes only TLS; like psql, the writer
        // prefers it, without checking the certificate.
        let tls = pgtui::sources::pg_tls::PgTls::new(&Default::default())
            .map_err(|e| format!("TLS setup: {e}"))?;
        // HAProxy accepts the TCP connection itself, so the libpq-style
        // timeout alone would not bound the startup behind it.
        let (client, conn) = tokio::time::timeout(CONNECT_TIMEOUT, pg.connect(tls.connector))
            .await
            .map_err(|_| "connect: timeout".to_string())?
            .map_err(|e| format!("connect: {}", pg_error(&e)))?;
        tokio::spawn(conn);
        Ok(client)
    }
}

/// The server's own message when there is one ("db error" alone says little).
fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// Rows of a simple query, as text.
async fn rows(c: &Client, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let msgs = tokio::time::timeout(STATEMENT_TIMEOUT, c.simple_query(sql))
        .await
        .map_err(|_| format!("{sql}: timeout"))?
        .map_err(|e| format!("{sql}: {}", pg_error(&e)))?;
    Ok(msgs
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect())
}

/// One statement on a fresh session through `t`.
pub fn query(t: &Target, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { rows(&t.connect().await?, sql).await })
}

#[derive(Default, Debug)]
pub struct Log {
    /// Ids whose COMMIT was acknowledged, in order.
    pub acked: Vec<(i64, Instant)>,
    /// Ids whose INSERT was sent and answered with an error or nothing.
    pub in_doubt: Vec<i64>,
    /// Every error, connect or write.
    pub failures: Vec<(Instant, String)>,
    /// Every new session: which server HAProxy routed it to.
    pub sessions: Vec<(Instant, String)>,
}

pub struct Writer {
    stop: Arc<AtomicBool>,
    pub acks: Arc<AtomicUsize>,
    thread: JoinHandle<Log>,
}

impl Writer {
    pub fn start(t: Target) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let acks = Arc::new(AtomicUsize::new(0));
        let (s, a) = (stop.clone(), acks.clone());
        let thread = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(write(t, s, a))
        });
        Writer { stop, acks, thread }
    }

    pub fn stop(self) -> Log {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("writer thread")
    }
}

async fn write(t: Target, stop: Arc<AtomicBool>, acks: Arc<AtomicUsize>) -> Log {
    let mut log = Log::default();
    let mut id = 0i64;
    let mut session: Option<Client> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        let Some(c) = &session else {
            let who = async {
                let c = t.connect().await?;
                let r = rows(&c, &format!("SELECT {WHO}")).await?;
                Ok::<_, String>((c, r[0][0].clone()))
            };
            match who.await {
                // A client would find out on its first write; this says why.
                Ok((_, who)) if who.ends_with("=true") => {
                    log.failures
                        .push((Instant::now(), format!("routed to a standby: {who}")));
                }
                Ok((c, who)) => {
                    log.sessions.push((Instant::now(), who));
                    session = Some(c);
                    continue;
                }
                Err(e) => log.failures.push((Instant::now(), e)),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        tick.tick().await;
        id += 1;
        match rows(c, &format!("INSERT INTO {TABLE} (id) VALUES ({id})")).await {
            Ok(_) => {
                log.acked.push((id, Instant::now()));
                acks.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                log.in_doubt.push(id);
                log.failures.push((Instant::now(), e));
                session = None;
            }
        }
    }
    log
}
