//! Why an operation is refused, with a kind a caller can act on.
//!
//! A refusal's words are for the DBA and may be reworded freely. What a
//! caller does about one (offer Ctrl-A for an asynchronous candidate, close
//! a dialog whose cluster changed under it) follows from its
//! [`RefusalKind`], never from matching its words. It reads and serialises
//! as its words alone, so the JSON of a preflight is a list of messages.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// A rule of the preflight: the cluster, or the request, is not fit for
    /// the operation now (no leader, a time in the past, a failing
    /// candidate, a reinit already running...).
    Rule,
    /// A member the operation names is not in the cluster: "not found".
    NotAMember,
    /// The candidate is not a synchronous standby in synchronous mode. A
    /// failover may accept that: `--allow-async`, Ctrl-A in the console.
    AsyncCandidate,
    /// The typed confirmation is missing or does not match.
    Unconfirmed,
    /// The cluster changed since the user looked: the decision was made
    /// for another cluster. Final for a dialog: look again.
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
}

impl Refusal {
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            message: message.into(),
        }
    }

    /// A refusal by a rule of the preflight.
    pub fn rule(message: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::Rule, message)
    }
}

/// A refusal reads as its message.
impl std::ops::Deref for Refusal {
    type Target = str;

    fn deref(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Serialize for Refusal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_serialises_as_its_words() {
        let r = Refusal::new(
            RefusalKind::AsyncCandidate,
            "pg-test-3 is not a synchronous standby",
        );
        assert_eq!(r.to_string(), "pg-test-3 is not a synchronous standby");
        assert!(r.contains("synchronous"));
        assert_eq!(
            serde_json::to_string(&[r]).unwrap(),
            r#"["pg-test-3 is not a synchronous standby"]"#
        );
    }

    #[test]
    fn the_kind_is_not_in_the_words() {
        let a = Refusal::rule("the cluster changed, they say");
        let b = Refusal::new(RefusalKind::Changed, "the leader moved");
        assert_eq!(a.kind, RefusalKind::Rule);
        assert_eq!(b.kind, RefusalKind::Changed);
    }
}
