//! The node's own PostgreSQL and Patroni, as a restore drives them: the
//! local socket, `pg_ctl`, `postmaster.opts`, and the configured commands
//! that stop and start Patroni.
//!
//! Patroni starts PostgreSQL with some parameters on the command line
//! (`--port`, `--listen_addresses`, `--max_connections`, …), not in
//! postgresql.conf. A bare `pg_ctl start` would come up on the default
//! port, so the restore reads the running postmaster's own command line
//! from `postmaster.opts` before stopping it and starts it the same way.

use super::settings::AgentSettings;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A client on the local socket, as the superuser from patroni.yml.
pub async fn connect(s: &AgentSettings) -> Result<tokio_postgres::Client, String> {
    let pg = &s.local_pg;
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(&pg.socket_dir)
        .port(pg.port)
        .user(&pg.user)
        .dbname("postgres")
        .application_name("pgtui-agent")
        .connect_timeout(Duration::from_secs(3));
    if let Some(p) = &pg.password {
        cfg.password(p.expose());
    }
    let where_ = format!("PostgreSQL at {}:{} as {}", pg.socket_dir, pg.port, pg.user);
    let (client, conn) =
        tokio::time::timeout(Duration::from_secs(5), cfg.connect(tokio_postgres::NoTls))
            .await
            .map_err(|_| format!("{where_}: no answer within 5 s"))?
            .map_err(|e| format!("{where_}: {e}"))?;
    tokio::spawn(conn);
    Ok(client)
}

pub fn pg_ctl(s: &AgentSettings) -> PathBuf {
    if s.bin_dir.as_os_str().is_empty() {
        PathBuf::from("pg_ctl")
    } else {
        s.bin_dir.join("pg_ctl")
    }
}

pub fn data_dir(s: &AgentSettings) -> Result<&Path, String> {
    s.data_dir
        .as_deref()
        .ok_or_else(|| "patroni.yml names no postgresql.data_dir".to_string())
}

/// The data directory as a step's command shows it.
pub fn data_shown(s: &AgentSettings) -> String {
    s.data_dir
        .as_deref()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| "DATA".into())
}

/// What a finished command printed (stdout and stderr, bounded) and
/// whether it succeeded.
pub struct Ran {
    pub ok: bool,
    pub code: Option<i32>,
    pub text: String,
}

async fn run(
    mut cmd: tokio::process::Command,
    what: &str,
    deadline: Duration,
) -> Result<Ran, String> {
    cmd.stdin(std::process::Stdio::null()).kill_on_drop(true);
    let out = tokio::time::timeout(deadline, cmd.output())
        .await
        .map_err(|_| format!("`{what}` did not end within {} s", deadline.as_secs()))?
        .map_err(|e| format!("cannot run `{what}`: {e}"))?;
    let mut text = out.stdout.clone();
    text.extend_from_slice(&out.stderr);
    Ok(Ran {
        ok: out.status.success(),
        code: out.status.code(),
        text: super::pgbackrest::bounded(&text),
    })
}

/// Runs a configured shell command (`--patroni-stop`, `--patroni-start`).
pub async fn shell(command: &str, deadline: Duration) -> Result<Ran, String> {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c").arg(command);
    run(cmd, command, deadline).await
}

/// `pg_ctl ARGS`.
pub async fn pg_ctl_run(
    s: &AgentSettings,
    args: &[String],
    deadline: Duration,
) -> Result<Ran, String> {
    let bin = pg_ctl(s);
    let what = format!("{} {}", bin.display(), args.join(" "));
    let mut cmd = tokio::process::Command::new(&bin);
    cmd.args(args);
    run(cmd, &what, deadline).await
}

/// Whether a postmaster runs on the data directory (`pg_ctl status`:
/// 0 runs, 3 does not; anything else is an error said as such).
pub async fn postmaster_running(s: &AgentSettings) -> Result<bool, String> {
    let d = data_dir(s)?.display().to_string();
    let r = pg_ctl_run(
        s,
        &["status".into(), "-D".into(), d.clone()],
        Duration::from_secs(10),
    )
    .await?;
    match r.code {
        Some(0) => Ok(true),
        Some(3) => Ok(false),
        _ => Err(format!("`pg_ctl status -D {d}` could not tell: {}", r.text)),
    }
}

/// The running postmaster's arguments from `postmaster.opts`, without the
/// binary and `-D DIR`, each as one word.
pub fn postmaster_opts(data_dir: &Path) -> Result<Vec<String>, String> {
    let p = data_dir.join("postmaster.opts");
    let text = std::fs::read_to_string(&p).map_err(|e| format!("reading {}: {e}", p.display()))?;
    parse_opts(&text).ok_or_else(|| {
        format!(
            "{} is not a quoted command line: {}",
            p.display(),
            crate::text::escape(text.trim())
        )
    })
}

fn parse_opts(text: &str) -> Option<Vec<String>> {
    let mut words = vec![];
    let mut rest = text.trim();
    // The binary comes first, unquoted.
    let (_, after) = rest.split_once(' ').unwrap_or((rest, ""));
    rest = after.trim_start();
    while !rest.is_empty() {
        let r = rest.strip_prefix('"')?;
        let end = r.find('"')?;
        words.push(r[..end].to_string());
        rest = r[end + 1..].trim_start();
    }
    let mut out = vec![];
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        if w == "-D" {
            it.next();
        } else {
            out.push(w);
        }
    }
    Some(out)
}

/// `-o` for `pg_ctl start`: each word single-quoted for the shell pg_ctl
/// starts the postmaster through. A word holding a quote is refused.
pub fn opts_for_pg_ctl(words: &[String]) -> Result<String, String> {
    if let Some(w) = words.iter().find(|w| w.contains('\'')) {
        return Err(format!(
            "postmaster option {w:?} holds a quote; start PostgreSQL by hand"
        ));
    }
    Ok(words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" "))
}

/// The timeline a primary writes on, from `pg_walfile_name`; `None` while
/// in recovery.
pub async fn primary_timeline(c: &tokio_postgres::Client) -> Result<Option<i64>, String> {
    let row = c
        .query_one(
            "select case when pg_is_in_recovery() then null else substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) end",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    let tl: Option<String> = row.get(0);
    Ok(tl.and_then(|t| i64::from_str_radix(&t, 16).ok()))
}

/// The last line of `file` containing any of `needles`, reading at most its
/// last 4 MiB.
pub fn last_line_with(file: &Path, needles: &[&str]) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(4 << 20))).ok()?;
    let mut buf = vec![];
    f.read_to_end(&mut buf).ok()?;
    String::from_utf8_lossy(&buf)
        .lines()
        .rev()
        .find(|l| needles.iter().any(|n| l.contains(n)))
        .map(|l| crate::text::escape(l.trim()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postmaster_opts_drop_the_binary_and_the_data_dir() {
        let t = "/usr/lib/postgresql/15/bin/postgres \"-D\" \"/tmp/lab/data/pg-test-1\" \"--config-file=/tmp/lab/data/pg-test-1/postgresql.conf\" \"--listen_addresses=127.0.12.11\" \"--port=5432\"\n";
        assert_eq!(
            parse_opts(t).unwrap(),
            [
                "--config-file=/tmp/lab/data/pg-test-1/postgresql.conf",
                "--listen_addresses=127.0.12.11",
                "--port=5432"
            ]
        );
        assert_eq!(
            opts_for_pg_ctl(&parse_opts(t).unwrap()).unwrap(),
            "'--config-file=/tmp/lab/data/pg-test-1/postgresql.conf' '--listen_addresses=127.0.12.11' '--port=5432'"
        );
        assert!(parse_opts("/bin/postgres \"-D").is_none());
        assert!(opts_for_pg_ctl(&["--x='a'".into()]).is_err());
    }
}
