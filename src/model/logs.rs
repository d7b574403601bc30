//! Log lines from the members' nodes: how a line is read, and how the lines
//! of several members are put on one time axis.
//!
//! Patroni, PostgreSQL and pgBackRest each write their own format, but each
//! line starts with a timestamp: `2026-12-06 17:23:11,027 INFO: …` (Patroni),
//! `2026-12-06 17:26:26.804 UTC [20474] LOG:  …` (PostgreSQL with a `%m`
//! prefix), `2026-12-06 17:26:26.804 P00   INFO: …` (pgBackRest). So a line
//! is read as a timestamp, an optional zone, then the first `LEVEL:` word.
//! Patroni and pgBackRest write local time with no zone, so the agent, which
//! knows its node's offset, stamps every line in UTC before it leaves the
//! node; the console never guesses a remote node's zone.
//!
//! A line without a timestamp (a Python traceback, PostgreSQL's DETAIL and
//! STATEMENT lines) belongs to the line above it: it takes that line's time
//! and level, so a level filter keeps an ERROR and its DETAIL together.

use serde::{Deserialize, Serialize};

/// Lines longer than this are cut (and marked); a log line is never allowed
/// to cost more than this to ship or draw.
pub const MAX_LINE: usize = 16 * 1024;

/// Which log of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    Patroni,
    Postgres,
    Pgbackrest,
}

impl LogSource {
    pub const ALL: [LogSource; 3] = [
        LogSource::Patroni,
        LogSource::Postgres,
        LogSource::Pgbackrest,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LogSource::Patroni => "patroni",
            LogSource::Postgres => "postgres",
            LogSource::Pgbackrest => "pgbackrest",
        }
    }

    pub fn parse(s: &str) -> Option<LogSource> {
        LogSource::ALL.into_iter().find(|l| l.name() == s)
    }
}

/// A line's severity, one scale for the three formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Fatal,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Debug,
        Level::Info,
        Level::Warning,
        Level::Error,
        Level::Fatal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == s)
    }
}

/// What a word before a colon says, if it is a level word of any of the
/// three formats. `Some(None)`: a word that continues the line above
/// (PostgreSQL's DETAIL, HINT, STATEMENT, CONTEXT, QUERY, LOCATION).
fn level_word(w: &str) -> Option<Option<Level>> {
    Some(Some(match w {
        "TRACE" | "DEBUG" => Level::Debug,
        w if w.starts_with("DEBUG") && w[5..].chars().all(|c| c.is_ascii_digit()) => Level::Debug,
        "INFO" | "LOG" | "NOTICE" => Level::Info,
        "WARN" | "WARNING" => Level::Warning,
        "ERROR" => Level::Error,
        "FATAL" | "PANIC" | "CRITICAL" => Level::Fatal,
        "DETAIL" | "HINT" | "STATEMENT" | "CONTEXT" | "QUERY" | "LOCATION" => return Some(None),
        _ => return None,
    }))
}

/// One line as served: where it starts in its file, its time in UTC
/// milliseconds, its level, its text (cut at [`MAX_LINE`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Byte offset of the line in its file.
    pub at: u64,
    /// UTC milliseconds since the epoch; the line above's for a line
    /// without its own timestamp; None before any timestamp is seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    pub text: String,
    /// The line's full length in bytes, when it was cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<usize>,
}

/// The timestamp at the start of `text`, in UTC milliseconds: local time of
/// a node whose offset from UTC is `local_offset_secs`, unless the line
/// names its zone (UTC, GMT, Z or a numeric offset). A zone abbreviation
/// such as CET is taken to be the node's own zone (PostgreSQL writes its
/// `log_timezone`, by default the system's).
pub fn parse_stamp(text: &str, local_offset_secs: i32) -> Option<(i64, usize)> {
    let head = text.get(..19)?;
    let naive = chrono::NaiveDateTime::parse_from_str(head, "%Y-%m-%d %H:%M:%S").ok()?;
    let rest = &text[19..];
    let mut used = 19;
    let mut ms = 0i64;
    if let Some(frac) = rest.strip_prefix(['.', ',']) {
        let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() {
            used += 1 + digits.len();
            let padded = format!("{:0<3}", &digits[..digits.len().min(3)]);
            ms = padded.parse().unwrap_or(0);
        }
    }
    let mut offset = local_offset_secs as i64;
    let after = &text[used..];
    if let Some(zone) = after.strip_prefix(' ').and_then(|z| z.split(' ').next()) {
        match zone {
            "UTC" | "GMT" | "Z" => {
                offset = 0;
                used += 1 + zone.len();
            }
            z if z.starts_with(['+', '-']) && z.len() >= 3 => {
                if let Some(o) = numeric_offset(z) {
                    offset = o;
                    used += 1 + zone.len();
                }
            }
            z if (2..=5).contains(&z.len()) && z.chars().all(|c| c.is_ascii_uppercase()) => {
                used += 1 + zone.len();
            }
            _ => {}
        }
    }
    let secs = naive.and_utc().timestamp() - offset;
    Some((secs * 1000 + ms, used))
}

fn numeric_offset(z: &str) -> Option<i64> {
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !(digits.len() == 2 || digits.len() == 4) {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    Some(sign * (h * 3600 + m * 60))
}

/// The line without its leading timestamp and zone, for a display that
/// shows the time in a column of its own.
pub fn message(text: &str) -> &str {
    match parse_stamp(text, 0) {
        Some((_, used)) => text[used..].trim_start(),
        None => text,
    }
}

/// Reads lines in file order: each gets its time and level, a line without
/// a timestamp those of the line above (`prev`, carried across calls).
#[derive(Debug, Default, Clone, Copy)]
pub struct LineReader {
    pub local_offset_secs: i32,
    pub prev: Option<(i64, Option<Level>)>,
}

impl LineReader {
    pub fn read(&mut self, at: u64, raw: &[u8]) -> LogLine {
        let (text, cut) = clip(raw);
        let (ts, level) = match parse_stamp(&text, self.local_offset_secs) {
            Some((ts, used)) => {
                let level = match find_level(&text[used..]) {
                    Some(Some(l)) => Some(l),
                    Some(None) => self.prev.and_then(|p| p.1),
                    None => None,
                };
                (Some(ts), level)
            }
            None => (self.prev.map(|p| p.0), self.prev.and_then(|p| p.1)),
        };
        if let Some(t) = ts {
            self.prev = Some((t, level));
        }
        LogLine {
            at,
            ts_ms: ts,
            level,
            text,
            cut,
        }
    }
}

/// The first level word among the first few words after the timestamp.
fn find_level(rest: &str) -> Option<Option<Level>> {
    rest.split_whitespace()
        .take(6)
        .filter_map(|w| w.strip_suffix(':'))
        .find_map(level_word)
}

/// The line as text (invalid UTF-8 replaced, a trailing CR dropped), cut at
/// [`MAX_LINE`] on a character boundary; the full length when cut.
fn clip(raw: &[u8]) -> (String, Option<usize>) {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.len() <= MAX_LINE {
        return (String::from_utf8_lossy(raw).into_owned(), None);
    }
    let mut text = String::from_utf8_lossy(&raw[..MAX_LINE]).into_owned();
    while text.len() > MAX_LINE {
        text.pop();
    }
    (text, Some(raw.len()))
}

/// A request for lines of one file (`GET /v1/logs/{source}`): the last
/// `tail` lines, the lines from `since` (UTC ms) on, or what follows byte
/// `from` (an earlier answer's `end`).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    /// Only lines at this level or above (lines with no level are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
}

/// One answer: lines of `file` between byte offsets `start` and `end`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogChunk {
    pub source: LogSource,
    pub file: String,
    pub size: u64,
    pub start: u64,
    /// Where the next `from` read starts: after the last whole line.
    pub end: u64,
    /// The file was shorter than `from`: rotated or truncated, read anew.
    #[serde(default)]
    pub rotated: bool,
    /// Older lines of the file were not read (the window's bound).
    #[serde(default)]
    pub partial: bool,
    pub lines: Vec<LogLine>,
}

/// One file of a listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogFile {
    pub name: String,
    pub size: u64,
    pub modified: i64,
}

/// One source of a node's listing (`GET /v1/logs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogListing {
    pub source: LogSource,
    pub configured: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub files: Vec<LogFile>,
}

/// What logs a console screen or `pgtui logs` wants followed: one
/// cluster's, of these sources, from `since` (else a tail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsWant {
    pub cluster: String,
    /// None: every member with an agent.
    pub member: Option<String>,
    pub sources: Vec<LogSource>,
    pub since_ms: Option<i64>,
    pub tail: usize,
    /// Read only lines at this level or above (the agent drops the rest,
    /// so a tail counts only these).
    pub level: Option<Level>,
}

/// The lines kept of one member's log, and how its last read went.
#[derive(Debug, Clone, Default)]
pub struct LogTail {
    pub file: Option<String>,
    /// The next read's `from`; None before the first answer.
    pub end: Option<u64>,
    pub lines: std::collections::VecDeque<LogLine>,
    /// Lines dropped from the front to keep [`KEPT_LINES`].
    pub dropped: usize,
    /// The first read did not reach back as far as asked.
    pub partial: bool,
    pub fetched_at: Option<std::time::SystemTime>,
    pub error: Option<String>,
}

/// The most lines kept per member and source.
pub const KEPT_LINES: usize = 5000;

impl LogTail {
    /// Adds an answer's lines (after a rotation, the old ones stay: they
    /// happened).
    pub fn push(&mut self, chunk: LogChunk, at: std::time::SystemTime) {
        if self.end.is_none() {
            self.partial = chunk.partial;
        }
        self.file = Some(chunk.file);
        self.end = Some(chunk.end);
        self.lines.extend(chunk.lines);
        while self.lines.len() > KEPT_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.fetched_at = Some(at);
        self.error = None;
    }
}

/// The logs being followed: for `want`, per member and source.
#[derive(Debug, Clone)]
pub struct LogsState {
    pub want: LogsWant,
    pub tails: std::collections::BTreeMap<(String, LogSource), LogTail>,
    /// Why no member can be read at all (no agent registered, no token).
    pub error: Option<String>,
}

impl LogsState {
    pub fn new(want: LogsWant) -> Self {
        LogsState {
            want,
            tails: Default::default(),
            error: None,
        }
    }

    /// Every one of at least `expected` logs has answered or failed once,
    /// or nothing can be read at all: what was asked is in.
    pub fn settled(&self, expected: usize) -> bool {
        self.error.is_some()
            || (self.tails.len() >= expected.max(1)
                && self
                    .tails
                    .values()
                    .all(|t| t.fetched_at.is_some() || t.error.is_some()))
    }

    /// Every kept line on one time axis.
    pub fn merged(&self) -> Vec<MergedLine<'_>> {
        merge(self.tails.iter().flat_map(|((m, s), t)| {
            let (a, b) = t.lines.as_slices();
            // A VecDeque is two slices; chained they are the file's order.
            [(m.as_str(), *s, a), (m.as_str(), *s, b)]
        }))
    }
}

/// One member's line in a merged view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedLine<'a> {
    pub member: &'a str,
    pub source: LogSource,
    pub line: &'a LogLine,
}

/// The lines of several members and sources on one time axis: by time,
/// each file's own order kept for equal times (a stable sort), lines with
/// no time at all first.
pub fn merge<'a>(
    parts: impl IntoIterator<Item = (&'a str, LogSource, &'a [LogLine])>,
) -> Vec<MergedLine<'a>> {
    let mut all: Vec<MergedLine<'a>> = parts
        .into_iter()
        .flat_map(|(member, source, lines)| {
            lines.iter().map(move |line| MergedLine {
                member,
                source,
                line,
            })
        })
        .collect();
    all.sort_by_key(|l| l.line.ts_ms.unwrap_or(i64::MIN));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&str], offset: i32) -> Vec<LogLine> {
        let mut r = LineReader {
            local_offset_secs: offset,
            prev: None,
        };
        lines.iter().map(|l| r.read(0, l.as_bytes())).collect()
    }

    #[test]
    fn three_formats_read_alike() {
        let v = read(
            &[
                "2026-12-06 17:23:11,027 INFO: Lock owner: None; I am pg-test-1",
                "2026-12-06 17:26:26.804 UTC [20474] LOG:  archive command failed with exit code 103",
                "2026-12-06 17:26:26.804 UTC [20474] DETAIL:  The failed archive command was: x",
                "2026-12-06 18:26:27.100 +01 [20474] postgres@app ERROR:  relation \"t\" does not exist",
                "2026-12-06 17:26:28.001 P00   WARN: archive-push command end: aborted",
                "Traceback (most recent call last):",
            ],
            0,
        );
        let ts = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f")
                .unwrap()
                .and_utc()
                .timestamp_millis()
        };
        assert_eq!(v[0].ts_ms, Some(ts("2026-12-06 17:23:11.027")));
        assert_eq!(v[0].level, Some(Level::Info));
        assert_eq!(v[1].level, Some(Level::Info));
        assert_eq!(
            v[2].level,
            Some(Level::Info),
            "DETAIL keeps the line above's level"
        );
        assert_eq!(
            v[3].ts_ms,
            Some(ts("2026-12-06 17:26:27.100")),
            "+01 is honoured"
        );
        assert_eq!(v[3].level, Some(Level::Error));
        assert_eq!(v[4].level, Some(Level::Warning));
        assert_eq!(
            v[5].ts_ms, v[4].ts_ms,
            "a traceback line takes the time above"
        );
        assert_eq!(v[5].level, Some(Level::Warning));
    }

    #[test]
    fn local_time_is_moved_to_utc_and_named_zones_are_not() {
        let v = read(
            &[
                "2026-12-06 18:00:00,000 INFO: local, node at +01:00",
                "2026-12-06 17:00:00.000 UTC [1] LOG:  named",
            ],
            3600,
        );
        assert_eq!(v[0].ts_ms, v[1].ts_ms);
    }

    #[test]
    fn no_timestamp_before_any_is_unknown_and_odd_text_is_not_a_level() {
        let v = read(
            &[
                "hello",
                "2026-12-06 17:00:00 x LOGS: y",
                "2026-13-06 17:00:00 INFO: bad month",
            ],
            0,
        );
        assert_eq!(v[0].ts_ms, None);
        assert_eq!(v[1].level, None);
        assert!(v[1].ts_ms.is_some());
        assert_eq!(v[2].ts_ms, v[1].ts_ms, "an impossible date is no timestamp");
    }

    #[test]
    fn huge_lines_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_LINE);
        let v = read(&[long.as_str()], 0);
        assert!(v[0].text.len() <= MAX_LINE);
        assert_eq!(v[0].cut, Some(long.len()));
        assert!(v[0].text.chars().all(|c| c == 'é'));
    }

    #[test]
    fn merge_orders_by_time_and_keeps_file_order_for_ties() {
        let a = read(
            &[
                "2026-12-06 17:00:02,000 INFO: a2",
                "2026-12-06 17:00:00,000 INFO: a0",
            ],
            0,
        );
        let b = read(
            &[
                "2026-12-06 17:00:01,000 INFO: b1",
                "2026-12-06 17:00:01,000 INFO: b1bis",
            ],
            0,
        );
        let m = merge([
            ("m1", LogSource::Patroni, &a[..]),
            ("m2", LogSource::Postgres, &b[..]),
        ]);
        let texts: Vec<&str> = m.iter().map(|l| &l.line.text[24..]).collect();
        assert_eq!(texts, ["INFO: a0", "INFO: b1", "INFO: b1bis", "INFO: a2"]);
        assert_eq!(m[1].member, "m2");
    }
}
