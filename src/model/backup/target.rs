//! What a point-in-time restore goes back to. It lives in the model, not
//! the ops layer, because a restore job's record in etcd carries it and
//! every console decodes that record.

use serde::{Deserialize, Serialize};

/// A restore target, as pgBackRest's `--type` and `--target` take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// RFC 3339 with a timezone, as typed.
    Time(String),
    Lsn(String),
    Xid(String),
    Name(String),
    /// The end of the chosen backup (`--type=immediate`).
    Immediate,
}

impl Target {
    /// pgBackRest's `--type`.
    pub fn pgbackrest_type(&self) -> &'static str {
        match self {
            Target::Time(_) => "time",
            Target::Lsn(_) => "lsn",
            Target::Xid(_) => "xid",
            Target::Name(_) => "name",
            Target::Immediate => "immediate",
        }
    }

    /// `time 2026-12-06T05:30:00+00:00`, `immediate`.
    pub fn describe(&self) -> String {
        match self {
            Target::Time(v) | Target::Lsn(v) | Target::Xid(v) | Target::Name(v) => {
                format!("{} {v}", self.pgbackrest_type())
            }
            Target::Immediate => "immediate".into(),
        }
    }
}

/// What the caller asked, as the job record carries it.
pub struct Ask<'a> {
    pub target: &'a Target,
    pub set: Option<&'a str>,
    pub target_utc: Option<&'a str>,
    pub backup_after: bool,
}

/// `--target` as pgBackRest parses it: a time as `YYYY-MM-DD HH:MM:SS+00`
/// (its own set selection does not read RFC 3339's `T`).
fn target_arg(ask: &Ask) -> Option<String> {
    match ask.target {
        Target::Time(raw) => {
            let t = ask.target_utc.unwrap_or(raw);
            Some(
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|d| {
                        d.with_timezone(&chrono::Utc)
                            .format("%Y-%m-%d %H:%M:%S%.f+00")
                            .to_string()
                    })
                    .unwrap_or_else(|_| t.to_string()),
            )
        }
        Target::Lsn(v) | Target::Xid(v) | Target::Name(v) => Some(v.clone()),
        Target::Immediate => None,
    }
}

/// `pgbackrest restore`'s arguments (without the binary).
pub fn restore_args(stanza: &str, ask: &Ask) -> Vec<String> {
    let mut a = vec![
        format!("--stanza={stanza}"),
        "--delta".into(),
        format!("--type={}", ask.target.pgbackrest_type()),
    ];
    if let Some(t) = target_arg(ask) {
        a.push(format!("--target={t}"));
    }
    if let Some(s) = ask.set {
        a.push(format!("--set={s}"));
    }
    a.push("--target-action=promote".into());
    a
}

/// Words joined for a shell, quoted where needed.
pub fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if w.contains([' ', '"', '\'']) {
                format!("'{w}'")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_arguments_as_pgbackrest_takes_them() {
        let t = Target::Time("2026-12-06T09:30:05+01:00".into());
        let ask = Ask {
            target: &t,
            set: Some("20261206-083114F"),
            target_utc: Some("2026-12-06T08:30:05+00:00"),
            backup_after: true,
        };
        assert_eq!(
            shell_words(&restore_args("pg-test", &ask)),
            "--stanza=pg-test --delta --type=time '--target=2026-12-06 08:30:05+00' --set=20261206-083114F --target-action=promote"
        );
        let ask = Ask {
            target: &Target::Immediate,
            set: None,
            target_utc: None,
            backup_after: false,
        };
        assert_eq!(
            restore_args("pg-test", &ask),
            [
                "--stanza=pg-test",
                "--delta",
                "--type=immediate",
                "--target-action=promote"
            ]
        );
        assert_eq!(Target::Lsn("0/5000028".into()).describe(), "lsn 0/5000028");
    }
}
