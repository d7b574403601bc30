//! `pgtui logs [CLUSTER] [MEMBER]`: the members' Patroni, PostgreSQL and
//! pgBackRest logs, from their node agents, merged on one time axis (UTC).
//!
//! It reads through the same logs source and model as the console's logs
//! screen: it sets what it wants (`Model::logs`), waits for every member's
//! first answer, and prints; `--follow` then prints what each later round
//! adds.
//!
//! Exit codes: 0 when every wanted log answered; 12 when some did not (the
//! lines that came are printed, and each failure on stderr; `--allow-stale`
//! accepts that); 4 when none did (5 for a rejected token); 2 for a bad
//! `--since`; 3 for an unknown cluster.

use super::args::Format;
use super::commands::load;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::model::logs::{Level, LogSource, LogsState, LogsWant, MergedLine};
use crate::session::Needs;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq)]
pub enum SourceArg {
    Patroni,
    Postgres,
    Pgbackrest,
}

impl From<SourceArg> for LogSource {
    fn from(s: SourceArg) -> Self {
        match s {
            SourceArg::Patroni => LogSource::Patroni,
            SourceArg::Postgres => LogSource::Postgres,
            SourceArg::Pgbackrest => LogSource::Pgbackrest,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq)]
pub enum LevelArg {
    Debug,
    Info,
    Warning,
    Error,
    Fatal,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Self {
        match l {
            LevelArg::Debug => Level::Debug,
            LevelArg::Info => Level::Info,
            LevelArg::Warning => Level::Warning,
            LevelArg::Error => Level::Error,
            LevelArg::Fatal => Level::Fatal,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Cluster (default: --cluster/scope).
    pub cluster: Option<String>,
    /// One member (default: every member with an agent, merged by time).
    pub member: Option<String>,
    /// From this long ago (90s, 10m, 2h, 1d) or this time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Without --since: the last N lines of each log (at --level).
    #[arg(short = 'n', long, default_value_t = 50)]
    pub tail: usize,
    /// Keep printing lines as they are written; Ctrl-C stops.
    #[arg(short = 'F', long)]
    pub follow: bool,
    /// Which logs (repeat for more; default: patroni and postgres).
    #[arg(long, value_enum)]
    pub source: Vec<SourceArg>,
    /// Only lines at this level or above (a line with no level is kept).
    #[arg(long, value_enum)]
    pub level: Option<LevelArg>,
    /// Only lines containing this text.
    #[arg(long)]
    pub grep: Option<String>,
    /// json: one document; with --follow, one JSON object per line.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `--since`: a duration back from `now_ms`, or an RFC 3339 time.
pub fn parse_since(s: &str, now_ms: i64) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("--since {s:?}: give a duration (90s, 10m, 2h, 1d) or an RFC 3339 time (2026-12-06T17:20:00Z)"))?;
    let secs = match unit {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("--since {s:?}: the unit is s, m, h or d")),
    };
    Ok(now_ms - n.saturating_mul(secs).saturating_mul(1000))
}

#[derive(Serialize)]
struct LineOut<'a> {
    ts: Option<String>,
    ts_ms: Option<i64>,
    member: &'a str,
    source: &'static str,
    level: Option<&'static str>,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cut: Option<usize>,
}

#[derive(Serialize)]
struct ErrorOut {
    member: String,
    source: &'static str,
    error: String,
}

#[derive(Serialize)]
struct Out<'a> {
    cluster: String,
    lines: Vec<LineOut<'a>>,
    errors: Vec<ErrorOut>,
    /// Logs whose window did not reach back as far as `--since` asked.
    partial: Vec<String>,
}

pub fn stamp(ts_ms: Option<i64>) -> Option<String> {
    let t = chrono::DateTime::from_timestamp_millis(ts_ms?)?;
    Some(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn line_out<'a>(l: &MergedLine<'a>) -> LineOut<'a> {
    LineOut {
        ts: stamp(l.line.ts_ms),
        ts_ms: l.line.ts_ms,
        member: l.member,
        source: l.source.name(),
        level: l.line.level.map(Level::name),
        text: &l.line.text,
        cut: l.line.cut,
    }
}

fn text_line(l: &MergedLine<'_>) -> String {
    format!(
        "{:<24} {:<12} {:<10} {:<7} {}{}",
        stamp(l.line.ts_ms).unwrap_or_else(|| "-".into()),
        l.member,
        l.source.name(),
        l.line.level.map_or("-", Level::name),
        crate::model::logs::message(&l.line.text),
        l.line
            .cut
            .map_or(String::new(), |n| format!(" … (cut: {n} bytes)")),
    )
}

struct Filter {
    level: Option<Level>,
    grep: Option<String>,
}

impl Filter {
    fn keeps(&self, l: &MergedLine<'_>) -> bool {
        self.level
            .is_none_or(|min| l.line.level.is_none_or(|lv| lv >= min))
            && self
                .grep
                .as_ref()
                .is_none_or(|g| l.line.text.contains(g.as_str()))
    }
}

pub async fn run(config: Config, args: LogsArgs) -> anyhow::Result<()> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let since_ms = match &args.since {
        Some(s) => Some(parse_since(s, now_ms).map_err(|e| CliError::new(ExitCode::Usage, e))?),
        None => None,
    };
    let sources: Vec<LogSource> = if args.source.is_empty() {
        vec![LogSource::Patroni, LogSource::Postgres]
    } else {
        args.source.iter().map(|s| (*s).into()).collect()
    };
    let allow_stale = config.allow_stale;
    let (s, name) = load(config, &args.cluster, Needs::Dcs).await?;
    let want = LogsWant {
        cluster: name.clone(),
        member: args.member.clone(),
        sources: sources.clone(),
        since_ms,
        tail: args.tail,
        level: args.level.map(Into::into),
    };
    let members: Vec<String> = s.model.read(|m| {
        m.clusters
            .get(&name)
            .map(|c| c.agents.keys().cloned().collect())
            .unwrap_or_default()
    });
    if let Some(w) = &args.member {
        if !s.model.read(|m| {
            m.clusters
                .get(&name)
                .is_some_and(|c| c.dcs.members.contains_key(w) || c.agents.contains_key(w))
        }) {
            return Err(CliError::new(
                ExitCode::ClusterNotFound,
                format!("{name} has no member {w}; `pgtui list {name}` names them"),
            )
            .into());
        }
    }
    let expected = sources.len()
        * match &args.member {
            Some(_) => 1,
            None => members.len().max(1),
        };
    s.logs(Some(want));
    let mut changes = s.model.subscribe();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !s
        .model
        .read(|m| m.logs.as_ref().is_some_and(|l| l.settled(expected)))
    {
        if Instant::now() > deadline
            || tokio::time::timeout(Duration::from_millis(500), changes.changed())
                .await
                .is_ok_and(|r| r.is_err())
        {
            break;
        }
    }
    let filter = Filter {
        level: args.level.map(Into::into),
        grep: args.grep.clone(),
    };
    let (errors, answered) = s.model.read(|m| {
        let l = m.logs.as_ref().expect("set above");
        let out = Out {
            cluster: name.clone(),
            lines: if args.follow && args.format == Format::Json {
                vec![]
            } else {
                l.merged().iter().filter(|x| filter.keeps(x)).map(line_out).collect()
            },
            errors: errors_of(l),
            partial: l
                .tails
                .iter()
                .filter(|(_, t)| t.partial && since_ms.is_some())
                .map(|((m, s), t)| format!("{m} {}: {}", s.name(), t.file.clone().unwrap_or_default()))
                .collect(),
        };
        match args.format {
            Format::Table => {
                for x in l.merged().iter().filter(|x| filter.keeps(x)) {
                    outln!("{}", text_line(x));
                }
            }
            Format::Json if args.follow => {
                for x in l.merged().iter().filter(|x| filter.keeps(x)) {
                    outln!("{}", serde_json::to_string(&line_out(x)).expect("serialisable"));
                }
            }
            _ => super::commands::emit(args.format, &out, String::new),
        }
        for p in &out.partial {
            errln!("pgtui logs: {p}: the file holds more than the agent reads back (8 MiB); older lines were not read");
        }
        let answered = l.tails.values().filter(|t| t.fetched_at.is_some()).count();
        (out.errors, answered)
    });
    for e in &errors {
        errln!("pgtui logs: {} {}: {}", e.member, e.source, e.error);
    }
    if !args.follow {
        return verdict(&s, &errors, answered, allow_stale);
    }
    follow(&s, &filter, args.format).await
}

fn errors_of(l: &LogsState) -> Vec<ErrorOut> {
    let mut v: Vec<ErrorOut> = l
        .tails
        .iter()
        .filter_map(|((m, s), t)| {
            t.error.as_ref().map(|e| ErrorOut {
                member: m.clone(),
                source: s.name(),
                error: e.clone(),
            })
        })
        .collect();
    if let Some(e) = &l.error {
        v.push(ErrorOut {
            member: l
                .want
                .member
                .clone()
                .unwrap_or_else(|| l.want.cluster.clone()),
            source: "agent",
            error: e.clone(),
        });
    }
    v
}

fn verdict(
    s: &crate::session::Session,
    errors: &[ErrorOut],
    answered: usize,
    allow_stale: bool,
) -> anyhow::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let auth = s.model.read(|m| {
        m.logs.as_ref().is_some_and(|l| {
            l.tails.values().any(|t| {
                t.error
                    .as_deref()
                    .is_some_and(|e| e.contains("token rejected"))
            })
        })
    });
    if answered == 0 {
        let code = if auth {
            ExitCode::AuthFailed
        } else {
            ExitCode::Unreachable
        };
        return Err(CliError::new(code, "no log could be read (see above)").into());
    }
    if allow_stale {
        return Ok(());
    }
    Err(CliError::new(
        ExitCode::Stale,
        "some logs could not be read (see above); the lines printed are from the others; pass --allow-stale to accept that",
    )
    .into())
}

/// Prints each later round's new lines, in time order within the round,
/// and each change of a log's error once.
async fn follow(
    s: &crate::session::Session,
    filter: &Filter,
    format: Format,
) -> anyhow::Result<()> {
    let mut printed: BTreeMap<(String, LogSource), usize> = s.model.read(|m| {
        let l = m.logs.as_ref().expect("set");
        l.tails
            .iter()
            .map(|(k, t)| (k.clone(), t.dropped + t.lines.len()))
            .collect()
    });
    let mut said: BTreeMap<(String, LogSource), Option<String>> = BTreeMap::new();
    let mut changes = s.model.subscribe();
    loop {
        tokio::select! {
            r = changes.changed() => if r.is_err() { return Ok(()) },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        s.model.read(|m| {
            let Some(l) = m.logs.as_ref() else { return };
            let mut fresh = LogsState::new(l.want.clone());
            for (k, t) in &l.tails {
                let seen = printed.entry(k.clone()).or_insert(t.dropped);
                let total = t.dropped + t.lines.len();
                if total > *seen {
                    let skip = seen.saturating_sub(t.dropped);
                    let mut nt = crate::model::logs::LogTail::default();
                    nt.lines.extend(t.lines.iter().skip(skip).cloned());
                    fresh.tails.insert(k.clone(), nt);
                    *seen = total;
                }
                if said.get(k).map(Option::as_ref) != Some(t.error.as_ref()) {
                    if let Some(e) = &t.error {
                        errln!("pgtui logs: {} {}: {e}", k.0, k.1.name());
                    }
                    said.insert(k.clone(), t.error.clone());
                }
            }
            for x in fresh.merged().iter().filter(|x| filter.keeps(x)) {
                match format {
                    Format::Json => outln!(
                        "{}",
                        serde_json::to_string(&line_out(x)).expect("serialisable")
                    ),
                    _ => outln!("{}", text_line(x)),
                }
            }
        });
    }
}
