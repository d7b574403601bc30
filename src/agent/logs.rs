//! The node's logs, read in bounded pieces: `GET /v1/logs` lists them,
//! `GET /v1/logs/{log}` serves lines of one file.
//!
//! The agent holds a token that reads every log of a database node, so the
//! file a caller names is treated as hostile: a plain name (no `/`, no
//! `..`, no NUL), resolved inside its configured directory with symlinks
//! followed, and still inside that directory once resolved; a regular file
//! (a FIFO would hang the read, a device would never end), opened without
//! following a last-moment symlink. Every read is bounded in bytes, and a
//! line over [`MAX_LINE`] is cut and marked, so neither a huge file nor a
//! huge line costs more than one window.
//!
//! Three ways to ask: `tail=N` (the last N lines), `since=MS` (lines from a
//! UTC time on, from the last [`SINCE_WINDOW`] of the file), `from=OFFSET`
//! (what was written after an earlier answer's `end`: following). A file
//! that shrank below `from` was rotated or truncated; the answer says
//! `rotated` and starts again at its beginning.

use super::settings::AgentSettings;
use crate::model::logs::{
    LineReader, LogChunk, LogFile, LogListing, LogQuery, LogSource, MAX_LINE,
};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The most bytes one `tail` or `from` answer reads.
pub const WINDOW: u64 = 1024 * 1024;
/// The most bytes a `since` answer reads, back from the end of the file.
pub const SINCE_WINDOW: u64 = 8 * 1024 * 1024;
/// The most lines one answer carries.
pub const MAX_LINES: usize = 5000;

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error("{log} logs: {why}")]
    NotConfigured { log: &'static str, why: String },
    #[error("refused: {name:?} is not a plain file name (no '/', '..', control characters); ask GET /v1/logs for the names")]
    BadName { name: String },
    #[error(
        "refused: {name} is not one of the {log} log files here; ask GET /v1/logs for the names"
    )]
    NotThisSource { log: &'static str, name: String },
    #[error("refused: {name} resolves outside {dir} (a symlink leaving the log directory)")]
    Outside { name: String, dir: String },
    #[error("refused: {name} is not a regular file")]
    NotAFile { name: String },
    #[error("no {log} log file {name} in {dir}")]
    NotFound {
        log: &'static str,
        name: String,
        dir: String,
    },
    #[error("{log} logs: no log file in {dir} yet")]
    Empty { log: &'static str, dir: String },
    #[error("reading {path}: {reason}")]
    Io { path: String, reason: String },
}

impl LogsError {
    pub fn http_status(&self) -> u16 {
        match self {
            LogsError::NotConfigured { .. } => 409,
            LogsError::BadName { .. } | LogsError::NotThisSource { .. } => 400,
            LogsError::Outside { .. } | LogsError::NotAFile { .. } => 403,
            LogsError::NotFound { .. } | LogsError::Empty { .. } => 404,
            LogsError::Io { .. } => 500,
        }
    }
}

/// The node's offset from UTC now (what Patroni's and pgBackRest's
/// zoneless times mean).
pub fn local_offset_secs() -> i32 {
    chrono::Local::now().offset().local_minus_utc()
}

fn dir_of(s: &AgentSettings, source: LogSource) -> Result<PathBuf, LogsError> {
    let r = match source {
        LogSource::Patroni => s.logs.patroni.clone().map(|(d, _)| d),
        LogSource::Postgres => s.logs.postgres.clone(),
        LogSource::Pgbackrest => s.logs.pgbackrest.clone(),
    };
    r.map_err(|why| LogsError::NotConfigured {
        log: source.name(),
        why,
    })
}

/// Whether `name` may be served as a log of `source`.
fn belongs(s: &AgentSettings, source: LogSource, name: &str) -> bool {
    match source {
        LogSource::Patroni => s
            .logs
            .patroni
            .as_ref()
            .map(|(_, f)| {
                name == f
                    || name
                        .strip_prefix(f.as_str())
                        .and_then(|r| r.strip_prefix('.'))
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            })
            .unwrap_or(false),
        LogSource::Postgres => true,
        LogSource::Pgbackrest => name.ends_with(".log"),
    }
}

fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// The files of `source` in its directory, newest first.
fn files(s: &AgentSettings, source: LogSource, dir: &Path) -> Result<Vec<LogFile>, LogsError> {
    let io = |e: std::io::Error| LogsError::Io {
        path: dir.display().to_string(),
        reason: e.to_string(),
    };
    let canon_dir = std::fs::canonicalize(dir).map_err(io)?;
    let mut v = vec![];
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !plain_name(&name) || !belongs(s, source, &name) {
            continue;
        }
        // A symlink out of the directory is not listed either: its size and
        // time are the target's.
        let inside = std::fs::canonicalize(entry.path())
            .is_ok_and(|c| c.parent() == Some(canon_dir.as_path()));
        if !inside {
            continue;
        }
        let Ok(md) = std::fs::metadata(entry.path()) else {
            continue;
        };
        if !md.is_file() {
            continue;
        }
        let modified = md
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        v.push(LogFile {
            name,
            size: md.len(),
            modified,
        });
    }
    v.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.name.cmp(&b.name)));
    Ok(v)
}

/// The file a read without `file=` serves: Patroni's configured file;
/// PostgreSQL's current one (its `current_logfiles`, what
/// `pg_current_logfile()` reads), else the newest; pgBackRest's newest.
fn current(s: &AgentSettings, source: LogSource, dir: &Path) -> Result<String, LogsError> {
    if let (LogSource::Patroni, Ok((_, f))) = (source, &s.logs.patroni) {
        return Ok(f.clone());
    }
    if source == LogSource::Postgres {
        let named = s
            .data_dir
            .as_ref()
            .and_then(|d| std::fs::read_to_string(d.join("current_logfiles")).ok())
            .and_then(|t| {
                let mut lines = t.lines();
                let stderr = t.lines().find(|l| l.starts_with("stderr "));
                stderr.or_else(|| lines.next()).map(str::to_string)
            })
            .and_then(|l| l.split_once(' ').map(|(_, p)| p.trim().to_string()))
            .and_then(|p| {
                Path::new(&p)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(str::to_string)
            });
        if let Some(n) = named {
            return Ok(n);
        }
    }
    files(s, source, dir)?
        .into_iter()
        .next()
        .map(|f| f.name)
        .ok_or_else(|| LogsError::Empty {
            log: source.name(),
            dir: dir.display().to_string(),
        })
}

/// Opens `name` in `dir` by the rules in the module doc.
fn open(source: LogSource, dir: &Path, name: &str) -> Result<std::fs::File, LogsError> {
    let path = dir.join(name);
    let canon_dir = std::fs::canonicalize(dir).map_err(|e| LogsError::Io {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let canon = match std::fs::canonicalize(&path) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LogsError::NotFound {
                log: source.name(),
                name: name.to_string(),
                dir: dir.display().to_string(),
            })
        }
        Err(e) => {
            return Err(LogsError::Io {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    if canon.parent() != Some(canon_dir.as_path()) {
        return Err(LogsError::Outside {
            name: name.to_string(),
            dir: dir.display().to_string(),
        });
    }
    use std::os::unix::fs::OpenOptionsExt;
    let flags = nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(&canon)
        .map_err(|e| LogsError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    let md = file.metadata().map_err(|e| LogsError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if !md.is_file() {
        return Err(LogsError::NotAFile {
            name: name.to_string(),
        });
    }
    Ok(file)
}

/// What `GET /v1/logs` answers.
pub fn list(s: &AgentSettings) -> Vec<LogListing> {
    LogSource::ALL
        .into_iter()
        .map(|source| {
            let mut l = LogListing {
                source,
                configured: false,
                dir: None,
                current: None,
                error: None,
                files: vec![],
            };
            match dir_of(s, source) {
                Err(e) => l.error = Some(e.to_string()),
                Ok(dir) => {
                    l.configured = true;
                    l.dir = Some(dir.display().to_string());
                    match files(s, source, &dir) {
                        Ok(f) => l.files = f,
                        Err(e) => l.error = Some(e.to_string()),
                    }
                    l.current = current(s, source, &dir).ok();
                }
            }
            l
        })
        .collect()
}

/// What `GET /v1/logs/{source}` answers.
pub fn read(s: &AgentSettings, source: LogSource, q: &LogQuery) -> Result<LogChunk, LogsError> {
    let dir = dir_of(s, source)?;
    let name = match &q.file {
        Some(n) => {
            if !plain_name(n) {
                return Err(LogsError::BadName { name: n.clone() });
            }
            if !belongs(s, source, n) {
                return Err(LogsError::NotThisSource {
                    log: source.name(),
                    name: n.clone(),
                });
            }
            n.clone()
        }
        None => current(s, source, &dir)?,
    };
    let mut file = open(source, &dir, &name)?;
    let io = |e: std::io::Error| LogsError::Io {
        path: dir.join(&name).display().to_string(),
        reason: e.to_string(),
    };
    let size = file.metadata().map_err(io)?.len();
    let (mut start, window, rotated) = match (q.from, q.since) {
        (Some(from), _) if from <= size => (from, WINDOW, false),
        (Some(_), _) => (0, WINDOW, true),
        (None, Some(_)) => (size.saturating_sub(SINCE_WINDOW), SINCE_WINDOW, false),
        (None, None) => (size.saturating_sub(WINDOW), WINDOW, false),
    };
    let len = window.min(size - start);
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut buf = Vec::with_capacity(len as usize);
    (&mut file).take(len).read_to_end(&mut buf).map_err(io)?;
    // A window that starts inside a line (a tail, or a `from` just after a
    // line cut at the window's end) skips to the next whole line.
    let mid_line = start > 0 && {
        let mut b = [0u8; 1];
        file.seek(SeekFrom::Start(start - 1)).map_err(io)?;
        file.read_exact(&mut b).map_err(io)?;
        b[0] != b'\n'
    };
    let mut body: &[u8] = &buf;
    if mid_line {
        match body.iter().position(|b| *b == b'\n') {
            Some(i) => {
                start += i as u64 + 1;
                body = &body[i + 1..];
            }
            None => {
                start += body.len() as u64;
                body = &[];
            }
        }
    }
    let mut reader = LineReader {
        local_offset_secs: local_offset_secs(),
        prev: None,
    };
    let mut lines = vec![];
    let mut at = start;
    let mut rest = body;
    while let Some(i) = rest.iter().position(|b| *b == b'\n') {
        lines.push(reader.read(at, &rest[..i]));
        at += i as u64 + 1;
        rest = &rest[i + 1..];
    }
    // The end of a window holding no newline at all is one huge line: shown
    // cut, and its remainder skipped by the next read.
    if lines.is_empty() && rest.len() as u64 == window && rest.len() > MAX_LINE {
        lines.push(reader.read(at, rest));
        at += rest.len() as u64;
    }
    let mut end = at;
    let mut partial = start > 0 && q.from.is_none();
    if let Some(since) = q.since.filter(|_| q.from.is_none()) {
        let first = lines
            .iter()
            .position(|l| l.ts_ms.is_some_and(|t| t >= since))
            .unwrap_or(lines.len());
        lines.drain(..first);
        partial = partial && first == 0;
    }
    if let Some(min) = q.level {
        lines.retain(|l| l.level.is_none_or(|lv| lv >= min));
    }
    let keep = q.tail.unwrap_or(MAX_LINES).min(MAX_LINES);
    if lines.len() > keep {
        if q.from.is_some() {
            // Following: the rest comes with the next read.
            end = lines[keep].at;
            lines.truncate(keep);
        } else {
            lines.drain(..lines.len() - keep);
            partial = false;
        }
    }
    Ok(LogChunk {
        source,
        file: name,
        size,
        start,
        end,
        rotated,
        partial,
        lines,
    })
}
