//! A member's role as one type, so "does it lead" is asked in one place.
//!
//! Patroni names roles in two vocabularies. Its own PostgreSQL role, in a
//! member key and `GET /patroni`, is `master` (up to 3.x) or `primary`
//! (4.x), `replica`, `standby_leader`, or one of the passing `demoted`,
//! `uninitialized` and `promoted`. The cluster role of `GET /cluster` and
//! patronictl is `leader`, `standby_leader`, `sync_standby`,
//! `quorum_standby` or `replica`. [`Role::parse`] reads both; each question
//! the code asks of a role (does it lead, is it synchronous, may it be
//! promoted) is one method here, not a comparison of words wherever it is
//! asked. A word pgtui does not know is kept as Patroni sent it (already
//! escaped where it entered), in [`Role::Unknown`].
//!
//! A role prints and serialises as the word of the JSON contract (README
//! "JSON contract"): `leader`, `standby_leader`, `sync_standby`,
//! `quorum_standby`, `replica`, or `unknown` when the member's value could
//! not be read. Two roles are equal when they read the same, exactly as the
//! words were compared before there was a type.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone)]
pub enum Role {
    /// Leads a primary cluster: holds the leader key. Patroni calls its
    /// PostgreSQL `master` (3.x) or `primary` (4.x); `GET /cluster` says
    /// `leader`.
    Leader,
    /// Leads a standby cluster: holds the leader key and replicates from
    /// outside the cluster.
    StandbyLeader,
    /// A standby the `sync` key names (synchronous mode).
    SyncStandby,
    /// A standby the `sync` key names in quorum mode (Patroni 4).
    QuorumStandby,
    Replica,
    /// PostgreSQL is being demoted (Patroni's role during a demotion).
    Demoted,
    /// Patroni has not started PostgreSQL yet.
    Uninitialized,
    /// PostgreSQL was just promoted; Patroni has not taken the lock yet.
    Promoted,
    /// The member's DCS value could not be read: pgtui does not guess. Its
    /// word is `unknown`.
    Unreadable,
    /// A word pgtui does not know, kept exactly as Patroni sent it.
    Unknown(String),
}

impl Role {
    /// Reads Patroni's word for a role (either vocabulary); never fails.
    pub fn parse(s: &str) -> Role {
        match s {
            "leader" | "master" | "primary" => Role::Leader,
            "standby_leader" => Role::StandbyLeader,
            "sync_standby" => Role::SyncStandby,
            "quorum_standby" => Role::QuorumStandby,
            "replica" => Role::Replica,
            "demoted" => Role::Demoted,
            "uninitialized" => Role::Uninitialized,
            "promoted" => Role::Promoted,
            other => Role::Unknown(other.to_string()),
        }
    }

    /// The word of the JSON contract; for [`Role::Unknown`], Patroni's.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Leader => "leader",
            Role::StandbyLeader => "standby_leader",
            Role::SyncStandby => "sync_standby",
            Role::QuorumStandby => "quorum_standby",
            Role::Replica => "replica",
            Role::Demoted => "demoted",
            Role::Uninitialized => "uninitialized",
            Role::Promoted => "promoted",
            Role::Unreadable => "unknown",
            Role::Unknown(s) => s,
        }
    }

    /// Holds the leader key: the leader of a primary or a standby cluster.
    pub fn leads(&self) -> bool {
        matches!(self, Role::Leader | Role::StandbyLeader)
    }

    /// A synchronous standby, named in the `sync` key (plain or quorum
    /// mode): in synchronous mode, the only members Patroni promotes
    /// without losing committed transactions.
    pub fn is_sync(&self) -> bool {
        matches!(self, Role::SyncStandby | Role::QuorumStandby)
    }

    /// May be scored as a switchover or failover candidate: every member
    /// that does not lead (the scorecard's other rules then decide).
    pub fn may_be_candidate(&self) -> bool {
        !self.leads()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Role {
        Role::parse(s)
    }
}

impl PartialEq for Role {
    fn eq(&self, other: &Role) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Role {}

impl PartialEq<str> for Role {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Role {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Role {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

/// Roles collect into their words, as the JSON contract lists them.
impl FromIterator<Role> for Vec<String> {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        iter.into_iter().map(|r| r.as_str().to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_patroni_writes_is_read() {
        let known = [
            ("leader", Role::Leader),
            ("master", Role::Leader),
            ("primary", Role::Leader),
            ("standby_leader", Role::StandbyLeader),
            ("sync_standby", Role::SyncStandby),
            ("quorum_standby", Role::QuorumStandby),
            ("replica", Role::Replica),
            ("demoted", Role::Demoted),
            ("uninitialized", Role::Uninitialized),
            ("promoted", Role::Promoted),
        ];
        for (word, role) in known {
            let parsed = Role::parse(word);
            assert!(
                std::mem::discriminant(&parsed) == std::mem::discriminant(&role),
                "{word}: {parsed:?}"
            );
        }
    }

    #[test]
    fn the_contract_words_read_back_as_themselves() {
        for r in [
            Role::Leader,
            Role::StandbyLeader,
            Role::SyncStandby,
            Role::QuorumStandby,
            Role::Replica,
            Role::Demoted,
            Role::Uninitialized,
            Role::Promoted,
        ] {
            assert_eq!(Role::parse(r.as_str()).as_str(), r.as_str());
        }
        // Patroni's PostgreSQL words print as the cluster's.
        assert_eq!(Role::parse("master").as_str(), "leader");
        assert_eq!(Role::parse("primary").to_string(), "leader");
        assert_eq!(Role::Unreadable.as_str(), "unknown");
    }

    #[test]
    fn an_unknown_word_is_kept_verbatim() {
        for word in ["witness", "Leader", "", "lead\\x1b[31mer", "sync standby"] {
            let r = Role::parse(word);
            assert_eq!(r, Role::Unknown(word.to_string()));
            assert!(matches!(&r, Role::Unknown(s) if s == word), "{word}");
            assert_eq!(r.as_str(), word);
            assert_eq!(serde_json::to_value(&r).unwrap(), word);
        }
    }

    #[test]
    fn serialises_as_the_contract_word() {
        assert_eq!(
            serde_json::to_string(&[Role::Leader, Role::QuorumStandby, Role::Unreadable]).unwrap(),
            r#"["leader","quorum_standby","unknown"]"#
        );
    }

    #[test]
    fn only_the_leader_and_the_standby_leader_lead() {
        let leads: Vec<String> = [
            "leader",
            "master",
            "primary",
            "standby_leader",
            "sync_standby",
            "quorum_standby",
            "replica",
            "demoted",
            "uninitialized",
            "promoted",
            "unknown",
            "witness",
        ]
        .into_iter()
        .map(Role::parse)
        .filter(Role::leads)
        .collect();
        assert_eq!(leads, ["leader", "leader", "leader", "standby_leader"]);
        assert!(!Role::Unreadable.leads());
    }

    #[test]
    fn sync_means_named_in_the_sync_key() {
        assert!(Role::SyncStandby.is_sync());
        assert!(Role::QuorumStandby.is_sync());
        for r in [
            Role::Leader,
            Role::StandbyLeader,
            Role::Replica,
            Role::Unreadable,
        ] {
            assert!(!r.is_sync(), "{r}");
        }
        assert!(!Role::parse("sync").is_sync());
    }

    #[test]
    fn whoever_does_not_lead_may_be_a_candidate() {
        assert!(!Role::Leader.may_be_candidate());
        assert!(!Role::StandbyLeader.may_be_candidate());
        for r in [
            Role::SyncStandby,
            Role::QuorumStandby,
            Role::Replica,
            Role::Unreadable,
            Role::parse("witness"),
        ] {
            assert!(r.may_be_candidate(), "{r}");
        }
    }

    #[test]
    fn equal_when_they_read_the_same() {
        assert_eq!(Role::parse("master"), Role::Leader);
        assert_eq!(Role::Leader, "leader");
        assert_eq!(Role::Replica, String::from("replica"));
        assert_ne!(Role::Leader, Role::StandbyLeader);
        // `unknown` is pgtui's word, not Patroni's: read, it is kept.
        assert_eq!(Role::parse("unknown"), Role::Unreadable);
        assert!(matches!(Role::parse("unknown"), Role::Unknown(_)));
    }
}
