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
