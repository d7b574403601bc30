//! A member's state as one type, so "is it up" is asked in one place.
//!
//! Patroni reports the state of its PostgreSQL (`running`, `starting`,
//! `stopped`, `crashed`, `creating replica`, …, the same words in 3.0 and
//! 4.x) and, from 4.0, a replica's replication state (`streaming`, `in
//! archive recovery`), which patronictl and the JSON contract show in place
//! of a plain `running`. [`MemberState::parse`] reads every one of them;
//! each question the code asks of a state (is it up, does it serve
//! queries, is it on its way somewhere, is its data being rebuilt) is one
//! method here. A word pgtui does not know is kept as Patroni sent it
//! (already escaped where it entered), in [`MemberState::Unknown`]: Patroni
//! 3.0's `restart failed (running)`, with the state it failed from, is one.
//!
//! Two states of pgtui's own complete the contract: `unparseable` when the
//! member's value could not be decoded, `unknown` when it names no state.
//! A state prints and serialises as its word; two states are equal when
//! they read the same, exactly as the words were compared before.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone)]
pub enum MemberState {
    Running,
    /// A Patroni 4 replica receiving WAL from its upstream.
    Streaming,
    /// A Patroni 4 replica replaying WAL from the archive (`restore_command`).
    InArchiveRecovery,
    Starting,
    /// After a custom bootstrap script, before PostgreSQL answers.
    StartingAfterCustomBootstrap,
    Stopping,
    Stopped,
    StopFailed,
    Restarting,
    RestartFailed,
    StartFailed,
    /// PostgreSQL died without Patroni stopping it.
    Crashed,
    /// A base backup (or a reinit's) copies the data directory.
    CreatingReplica,
    /// initdb of a new cluster.
    InitializingNewCluster,
    InitdbFailed,
    RunningCustomBootstrapScript,
    CustomBootstrapFailed,
    /// pgtui's: the member's DCS value could not be decoded.
    Unparseable,
    /// pgtui's: the member's value names no state (its word is `unknown`).
    NotReported,
    /// A word pgtui does not know, kept exactly as Patroni sent it.
    Unknown(String),
}

/// Every state Patroni writes; [`MemberState::parse`] looks a word up here.
const KNOWN: [MemberState; 17] = [
    MemberState::Running,
    MemberState::Streaming,
    MemberState::InArchiveRecovery,
    MemberState::Starting,
    MemberState::StartingAfterCustomBootstrap,
    MemberState::Stopping,
    MemberState::Stopped,
    MemberState::StopFailed,
    MemberState::Restarting,
    MemberState::RestartFailed,
    MemberState::StartFailed,
    MemberState::Crashed,
    MemberState::CreatingReplica,
    MemberState::InitializingNewCluster,
    MemberState::InitdbFailed,
    MemberState::RunningCustomBootstrapScript,
    MemberState::CustomBootstrapFailed,
];

impl MemberState {
    /// Reads Patroni's word for a state; never fails. pgtui's own words
    /// (`unparseable`, `unknown`) are not Patroni's: read, they are kept.
    pub fn parse(s: &str) -> MemberState {
        KNOWN
            .iter()
            .find(|k| k.as_str() == s)
            .cloned()
            .unwrap_or_else(|| MemberState::Unknown(s.to_string()))
    }

    /// The word: Patroni's, or pgtui's for its own two states.
    pub fn as_str(&self) -> &str {
        match self {
            MemberState::Running => "running",
            MemberState::Streaming => "streaming",
            MemberState::InArchiveRecovery => "in archive recovery",
            MemberState::Starting => "starting",
            MemberState::StartingAfterCustomBootstrap => "starting after custom bootstrap",
            MemberState::Stopping => "stopping",
            MemberState::Stopped => "stopped",
            MemberState::StopFailed => "stop failed",
            MemberState::Restarting => "restarting",
            MemberState::RestartFailed => "restart failed",
            MemberState::StartFailed => "start failed",
            MemberState::Crashed => "crashed",
            MemberState::CreatingReplica => "creating replica",
            MemberState::InitializingNewCluster => "initializing new cluster",
            MemberState::InitdbFailed => "initdb failed",
            MemberState::RunningCustomBootstrapScript => "running custom bootstrap script",
            MemberState::CustomBootstrapFailed => "custom bootstrap failed",
            MemberState::Unparseable => "unparseable",
            MemberState::NotReported => "unknown",
            MemberState::Unknown(s) => s,
        }
    }

    /// Up and doing its job: `running`, or a Patroni 4 replica `streaming`.
    /// The state a candidate, a restarted member or a new leader must be in.
    pub fn is_up(&self) -> bool {
        matches!(self, MemberState::Running | MemberState::Streaming)
    }

    /// PostgreSQL answers queries: up, or replaying WAL from the archive.
    /// A load balancer routing to it is right.
    pub fn serves(&self) -> bool {
        self.is_up() || matches!(self, MemberState::InArchiveRecovery)
    }

    /// On its way somewhere (worth a look, not an alarm): starting,
    /// stopping, restarting, being built, or catching up from the archive.
    pub fn is_transitional(&self) -> bool {
        matches!(
            self,
            MemberState::Starting
                | MemberState::Stopping
                | MemberState::Restarting
                | MemberState::CreatingReplica
                | MemberState::InArchiveRecovery
                | MemberState::InitializingNewCluster
                | MemberState::RunningCustomBootstrapScript
        )
    }

    /// Its data directory is being (or was being) built: a base backup or
    /// a bootstrap. A second reinit now has wiped data. A word pgtui does
    /// not know counts when it speaks of a replica, a reinit or a bootstrap.
    pub fn is_being_built(&self) -> bool {
        match self {
            MemberState::CreatingReplica
            | MemberState::RunningCustomBootstrapScript
            | MemberState::CustomBootstrapFailed
            | MemberState::StartingAfterCustomBootstrap => true,
            MemberState::Unknown(s) => {
                s.contains("creating replica") || s.contains("reinit") || s.contains("bootstrap")
            }
            _ => false,
        }
    }
}

impl fmt::Display for MemberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MemberState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<&str> for MemberState {
    fn from(s: &str) -> MemberState {
        MemberState::parse(s)
    }
}

impl PartialEq for MemberState {
    fn eq(&self, other: &MemberState) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for MemberState {}

impl PartialEq<str> for MemberState {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for MemberState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for MemberState {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state word of Patroni 3.0 and 4.x, with what each question
    /// answers: (word, up, serves, transitional, being built).
    const PATRONI: &[(&str, bool, bool, bool, bool)] = &[
        ("running", true, true, false, false),
        ("streaming", true, true, false, false),
        ("in archive recovery", false, true, true, false),
        ("starting", false, false, true, false),
        ("starting after custom bootstrap", false, false, false, true),
        ("stopping", false, false, true, false),
        ("stopped", false, false, false, false),
        ("stop failed", false, false, false, false),
        ("restarting", false, false, true, false),
        ("restart failed", false, false, false, false),
        ("start failed", false, false, false, false),
        ("crashed", false, false, false, false),
        ("creating replica", false, false, true, true),
        ("initializing new cluster", false, false, true, false),
        ("initdb failed", false, false, false, false),
        ("running custom bootstrap script", false, false, true, true),
        ("custom bootstrap failed", false, false, false, true),
    ];

    #[test]
    fn every_word_patroni_writes_is_known_and_reads_back() {
        assert_eq!(PATRONI.len(), KNOWN.len());
        for (word, ..) in PATRONI {
            let s = MemberState::parse(word);
            assert!(!matches!(s, MemberState::Unknown(_)), "{word} is known");
            assert_eq!(s.as_str(), *word);
            assert_eq!(s.to_string(), *word);
            assert_eq!(serde_json::to_value(&s).unwrap(), *word);
        }
    }

    #[test]
    fn each_question_has_one_answer_per_word() {
        for &(word, up, serves, transitional, built) in PATRONI {
            let s = MemberState::parse(word);
            assert_eq!(s.is_up(), up, "{word}: up");
            assert_eq!(s.serves(), serves, "{word}: serves");
            assert_eq!(s.is_transitional(), transitional, "{word}: transitional");
            assert_eq!(s.is_being_built(), built, "{word}: being built");
        }
    }

    #[test]
    fn an_unknown_word_is_kept_verbatim() {
        for word in [
            "restart failed (running)",
            "Running",
            "",
            "run\\x1b[2Jning",
            "reinitializing",
        ] {
            let s = MemberState::parse(word);
            assert!(matches!(&s, MemberState::Unknown(w) if w == word), "{word}");
            assert_eq!(s.as_str(), word);
            assert_eq!(serde_json::to_value(&s).unwrap(), word);
            assert!(!s.is_up() && !s.serves() && !s.is_transitional(), "{word}");
        }
    }

    #[test]
    fn an_unknown_word_is_judged_by_what_it_says_only_for_rebuilding() {
        assert!(MemberState::parse("reinitializing").is_being_built());
        assert!(MemberState::parse("creating replica from backup").is_being_built());
        assert!(MemberState::parse("bootstrap from leader").is_being_built());
        assert!(!MemberState::parse("restart failed (running)").is_being_built());
    }

    #[test]
    fn pgtuis_own_states() {
        assert_eq!(MemberState::Unparseable.as_str(), "unparseable");
        assert_eq!(MemberState::NotReported.as_str(), "unknown");
        for s in [MemberState::Unparseable, MemberState::NotReported] {
            assert!(!s.is_up() && !s.serves() && !s.is_transitional() && !s.is_being_built());
        }
        // Not Patroni's words: read, they are kept.
        assert!(matches!(
            MemberState::parse("unparseable"),
            MemberState::Unknown(_)
        ));
    }

    #[test]
    fn equal_when_they_read_the_same() {
        assert_eq!(MemberState::parse("streaming"), MemberState::Streaming);
        assert_eq!(MemberState::Running, "running");
        assert_eq!(MemberState::Stopped, String::from("stopped"));
        assert_ne!(MemberState::Running, MemberState::Streaming);
        assert_eq!(MemberState::parse("unknown"), MemberState::NotReported);
    }
}
