//! HAProxy as pgtui sees it: the stats CSV of every HAProxy in front of a
//! cluster, typed, plus what the service-port probe found behind each port.
//!
//! HAProxy routes clients by its own health checks, not by the DCS, so the
//! two can disagree (a stale check, a wrong `check` endpoint, a member that
//! stopped without HAProxy noticing). The parser is pure and tolerant of
//! column sets that vary between HAProxy versions (columns are found by
//! header name), and [`find_disagreements`] compares routing with the DCS.

mod findings;
pub mod hop;
pub mod layout;
pub use findings::{cluster_findings, find_disagreements, member_of, Finding, FindingKind};

use super::source::{SourceHealth, Sourced};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Larger stats bodies are refused: a real one is a few KiB per service.
pub const MAX_STATS_BYTES: usize = 32 * 1024 * 1024;

/// Status column of a stats row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    Up,
    Down,
    /// A frontend accepting connections.
    Open,
    Maint,
    Drain,
    NoLb,
    /// A server without health checks (always used).
    NoCheck,
    /// `UP n/m` (checks failing, still serving) or `DOWN n/m` (checks
    /// passing, not serving yet), as HAProxy shows it.
    Transitional {
        going_up: bool,
        step: u32,
        of: u32,
    },
    Other(String),
}

impl ServerStatus {
    pub fn parse(s: &str) -> ServerStatus {
        let t = s.trim();
        // "MAINT (via x/y)", "DRAIN (agent)", "UP (agent)": the qualifier
        // does not change what the server does with traffic.
        let head = t.split(" (").next().unwrap_or(t);
        match head {
            "UP" => return ServerStatus::Up,
            "DOWN" => return ServerStatus::Down,
            "OPEN" => return ServerStatus::Open,
            "MAINT" => return ServerStatus::Maint,
            "DRAIN" => return ServerStatus::Drain,
            "NOLB" => return ServerStatus::NoLb,
            "no check" => return ServerStatus::NoCheck,
            _ => {}
        }
        let transitional = head.split_once(' ').and_then(|(word, frac)| {
            let going_up = match word {
                "UP" => false,
                "DOWN" => true,
                _ => return None,
            };
            let (a, b) = frac.split_once('/')?;
            Some(ServerStatus::Transitional {
                going_up,
                step: a.parse().ok()?,
                of: b.parse().ok()?,
            })
        });
        transitional.unwrap_or_else(|| ServerStatus::Other(t.to_string()))
    }

    /// Receives new connections (a backup only when no active server does).
    pub fn serves(&self) -> bool {
        matches!(
            self,
            ServerStatus::Up
                | ServerStatus::NoCheck
                | ServerStatus::Transitional {
                    going_up: false,
                    ..
                }
        )
    }
}

/// One row of the stats CSV: a FRONTEND, a BACKEND or a server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsEntry {
    /// `svname`: FRONTEND, BACKEND or the server's name.
    pub name: String,
    pub status: ServerStatus,
    pub status_raw: String,
    /// e.g. `L7OK`, `L7STS`, `L4CON` (a leading `* ` means "in progress").
    pub check_status: Option<String>,
    pub check_code: Option<u32>,
    pub check_duration_ms: Option<u64>,
    pub check_desc: Option<String>,
    /// `scur`: current sessions.
    pub sessions: Option<u64>,
    /// `lastchg`: seconds since the last status change.
    pub last_change_secs: Option<u64>,
    pub weight: Option<u32>,
    /// Servers: 1/0 flags; BACKEND: counts of active/backup servers.
    pub act: Option<u32>,
    pub bck: Option<u32>,
    /// A backup server (`bck` = 1 on a server row).
    pub backup: bool,
    pub addr: Option<String>,
    /// Line in the CSV body (1-based).
    pub line: usize,
}

/// Which role a service routes to, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Primary,
    Replica,
    ReplicaSync,
    ReplicaAsync,
    Default,
    Offline,
    /// HAProxy's own stats listener.
    Stats,
    Other,
}

/// Classifies `<cluster>-primary` (Pigsty), `master`/`replicas`/`replicas_sync`
/// (autobase) and similar; anything else (another cluster's services too) is
/// [`ServiceKind::Other`].
pub fn classify_service(cluster: &str, proxy: &str) -> ServiceKind {
    let suffix = [format!("{cluster}-"), format!("{cluster}_")]
        .iter()
        .find_map(|p| proxy.strip_prefix(p.as_str()))
        .unwrap_or(proxy)
        .to_ascii_lowercase();
    match suffix.as_str() {
        "stats" if proxy == "stats" => ServiceKind::Stats,
        "primary" | "master" | "leader" | "primary_direct" | "master_direct" => {
            ServiceKind::Primary
        }
        "replica" | "replicas" | "standby" | "standbys" | "replicas_direct" => ServiceKind::Replica,
        "replicas_sync" | "sync" | "replica_sync" => ServiceKind::ReplicaSync,
        "replicas_async" | "async" | "replica_async" => ServiceKind::ReplicaAsync,
        "default" => ServiceKind::Default,
        "offline" => ServiceKind::Offline,
        _ => ServiceKind::Other,
    }
}

/// One proxy (`listen` section or frontend/backend pair) of one HAProxy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proxy {
    pub name: String,
    pub frontend: Option<StatsEntry>,
    pub backend: Option<StatsEntry>,
    pub servers: Vec<StatsEntry>,
}

impl Proxy {
    /// The servers new connections go to: serving active servers, or, when
    /// there is none, the serving backups (HAProxy's backup semantics).
    pub fn routing(&self) -> Vec<&StatsEntry> {
        let active: Vec<_> = self
            .servers
            .iter()
            .filter(|s| !s.backup && s.status.serves())
            .collect();
        if !active.is_empty() {
            return active;
        }
        self.servers
            .iter()
            .filter(|s| s.backup && s.status.serves())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("HAProxy stats CSV is empty; check that the URL ends in /stats;csv")]
    Empty,
    #[error("HAProxy stats CSV is {bytes} bytes, over the {limit}-byte limit; check the URL")]
    TooLarge { bytes: usize, limit: usize },
    #[error("HAProxy stats CSV line {line}: expected the '# pxname,svname,…' header, found {found:?}; check that the URL ends in /stats;csv")]
    NoHeader { line: usize, found: String },
    #[error("HAProxy stats CSV header has no {column:?} column; this is not HAProxy's stats CSV")]
    MissingColumn { column: &'static str },
    #[error("HAProxy stats CSV line {line}: {found} fields where the header has {expected}; the body is truncated or not HAProxy's")]
    ColumnCount {
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("HAProxy stats CSV line {line}: column {column} is {value:?}, not a number")]
    BadNumber {
        line: usize,
        column: String,
        value: String,
    },
    #[error("HAProxy stats CSV line {line}: {reason}")]
    Csv { line: usize, reason: String },
}

fn short(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Parses the body of `GET /stats;csv` (or `show stat`) into proxies, in the
/// order HAProxy lists them. Lines starting with `#` after the header are
/// comments. Columns are found by name; only pxname, svname and status are
/// required.
pub fn parse_stats_csv(text: &str) -> Result<Vec<Proxy>, ParseError> {
    if text.len() > MAX_STATS_BYTES {
        return Err(ParseError::TooLarge {
            bytes: text.len(),
            limit: MAX_STATS_BYTES,
        });
    }
    // Check descriptions quote what servers answered; nothing of it may
    // reach a terminal raw.
    let text = &*crate::text::escape_keep_lines(text);
    // The header is the first non-blank line; `body_start` is where the rows begin.
    let (mut body_start, mut header) = (0, None);
    for (i, l) in text.split_inclusive('\n').enumerate() {
        body_start += l.len();
        if !l.trim().is_empty() {
            header = Some((i, l.trim_end_matches(['\r', '\n'])));
            break;
        }
    }
    let Some((hline, header)) = header else {
        return Err(ParseError::Empty);
    };
    let Some(names) = header.strip_prefix('#') else {
        return Err(ParseError::NoHeader {
            line: hline + 1,
            found: short(header),
        });
    };
    let cols: Vec<&str> = names.split(',').map(str::trim).collect();
    let idx = |name: &str| cols.iter().position(|c| *c == name);
    let need = |name: &'static str| idx(name).ok_or(ParseError::MissingColumn { column: name });
    let (px, sv, st) = (need("pxname")?, need("svname")?, need("status")?);
    let width = cols.len() - usize::from(cols.last() == Some(&""));
    // 1-based line of a record starting at `byte`: csv reports where it
    // started reading, which may be a line break or a comment before it.
    let body = &text[body_start..];
    let newlines: Vec<usize> = body.match_indices('\n').map(|(i, _)| i).collect();
    let line_at = |byte: u64| {
        let (bytes, mut b) = (body.as_bytes(), byte as usize);
        loop {
            match bytes.get(b) {
                Some(b'\r' | b'\n') => b += 1,
                Some(b'#') if b == 0 || bytes[b - 1] == b'\n' => {
                    b = body[b..].find('\n').map_or(body.len(), |i| b + i + 1)
                }
                _ => break,
            }
        }
        hline + 2 + newlines.partition_point(|&i| i < b)
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(body.as_bytes());
    let mut proxies: Vec<Proxy> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ParseError::Csv {
            line: e.position().map_or(hline + 2, |p| line_at(p.byte())),
            reason: e.to_string(),
        })?;
        let line = rec.position().map_or(hline + 2, |p| line_at(p.byte()));
        let found = rec.len() - usize::from(rec.iter().next_back() == Some(""));
        if found != width && rec.len() != cols.len() {
            return Err(ParseError::ColumnCount {
                line,
                expected: width,
                found,
            });
        }
        // A quoted field may hold line breaks, which the escaping above
        // leaves for the CSV reader to see: each field is escaped again.
        let field = |i: usize| rec.get(i).map(|v| crate::text::escape(v.trim()));
        let get = |name: &str| idx(name).and_then(field).filter(|v| !v.is_empty());
        let num = |name: &str| -> Result<Option<u64>, ParseError> {
            get(name)
                .map(|v| {
                    v.parse::<u64>().map_err(|_| ParseError::BadNumber {
                        line,
                        column: name.to_string(),
                        value: short(&v),
                    })
                })
                .transpose()
        };
        let small = |name: &str| num(name).map(|v| v.map(|n| n.min(u32::MAX as u64) as u32));
        let status_raw = field(st).unwrap_or_default().into_owned();
        let bck = small("bck")?;
        let name = field(sv).unwrap_or_default().into_owned();
        let is_server = name != "FRONTEND" && name != "BACKEND";
        // lastchg/check_duration are -1 or empty when unknown on some versions.
        let lenient = |name: &str| get(name).and_then(|v| v.parse::<u64>().ok());
        let entry = StatsEntry {
            status: ServerStatus::parse(&status_raw),
            status_raw,
            check_status: get("check_status").map(Cow::into_owned),
            check_code: small("check_code")?,
            check_duration_ms: lenient("check_duration"),
            check_desc: get("check_desc").map(Cow::into_owned),
            sessions: num("scur")?,
            last_change_secs: lenient("lastchg"),
            weight: small("weight")?,
            act: small("act")?,
            bck,
            backup: is_server && bck == Some(1),
            addr: get("addr").map(Cow::into_owned),
            line,
            name,
        };
        let pxname = field(px).unwrap_or_default();
        if pxname.is_empty() || entry.name.is_empty() {
            return Err(ParseError::Csv {
                line,
                reason: "empty pxname or svname".into(),
            });
        }
        let p = match proxies.iter().position(|p| p.name == *pxname) {
            Some(i) => &mut proxies[i],
            None => {
                proxies.push(Proxy {
                    name: pxname.to_string(),
                    frontend: None,
                    backend: None,
                    servers: Vec::new(),
                });
                proxies.last_mut().expect("just pushed")
            }
        };
        match entry.name.as_str() {
            "FRONTEND" => p.frontend = Some(entry),
            "BACKEND" => p.backend = Some(entry),
            _ => p.servers.push(entry),
        }
    }
    Ok(proxies)
}

/// What one service port answered when connected to through HAProxy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeAnswer {
    /// `inet_server_addr()` / `inet_server_port()` of the backend.
    pub server_addr: Option<String>,
    pub server_port: Option<u16>,
    /// The DCS member with that address (`conn_url` host), if one matches.
    pub member: Option<String>,
    pub in_recovery: bool,
    pub elapsed_ms: u64,
}

/// One HAProxy service port of one node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ServicePort {
    /// The HAProxy node's address (the stats host).
    pub host: String,
    pub port: u16,
    /// The service label (`primary`, `replica`, or a configured name).
    pub service: String,
    pub kind: ServiceKind,
}

/// Everything known about the HAProxies of one cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HaproxyState {
    /// Parsed stats per stats URL (the last good read).
    pub endpoints: BTreeMap<String, Sourced<Vec<Proxy>>>,
    /// Last error per stats URL; removed on the next success.
    pub errors: BTreeMap<String, (SystemTime, String)>,
    /// Last answer per service port.
    pub probes: BTreeMap<ServicePort, Sourced<ProbeAnswer>>,
    /// Last failure per service port; removed on the next answer.
    pub probe_errors: BTreeMap<ServicePort, (SystemTime, String)>,
    /// Why the service probe does not run (e.g. no SQL credentials).
    pub probe_skipped: Option<String>,
    pub probe_health: SourceHealth,
}

/// `http://10.0.0.1:9101/stats;csv` → `10.0.0.1`.
pub fn stats_host(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    u.host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
}
