//! What the SQL probes read from one member's PostgreSQL.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SqlMember {
    pub in_recovery: bool,
    pub server_version: Option<String>,
    /// Leader: `pg_current_wal_lsn()`.
    pub current_lsn: Option<u64>,
    /// Replica: `pg_last_wal_receive_lsn()` / `pg_last_wal_replay_lsn()`.
    pub receive_lsn: Option<u64>,
    pub replay_lsn: Option<u64>,
    pub replay_paused: Option<bool>,
    pub timeline: Option<u64>,
    /// The probe's own connection: its TLS version (`TLSv1.3`, from
    /// `pg_stat_ssl`), or none when it is plain TCP.
    pub tls: Option<String>,
    pub replication: Vec<ReplicationRow>,
    pub slots: Vec<SlotRow>,
    pub wal_receiver: Option<WalReceiverRow>,
}

/// One row of `pg_stat_replication` on the leader.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ReplicationRow {
    pub application_name: String,
    pub client_addr: Option<String>,
    pub state: Option<String>,
    pub sync_state: Option<String>,
    pub sent_lsn: Option<u64>,
    pub write_lsn: Option<u64>,
    pub flush_lsn: Option<u64>,
    pub replay_lsn: Option<u64>,
    pub write_lag_ms: Option<f64>,
    pub flush_lag_ms: Option<f64>,
    pub replay_lag_ms: Option<f64>,
}

/// One row of `pg_replication_slots`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SlotRow {
    pub slot_name: String,
    pub slot_type: Option<String>,
    pub active: bool,
    pub restart_lsn: Option<u64>,
    pub confirmed_flush_lsn: Option<u64>,
}

/// `pg_stat_wal_receiver` on a replica.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct WalReceiverRow {
    pub status: Option<String>,
    pub sender_host: Option<String>,
    pub sender_port: Option<i32>,
    pub received_tli: Option<u64>,
    pub flushed_lsn: Option<u64>,
    pub slot_name: Option<String>,
}

/// Parses PostgreSQL's `X/Y` LSN text form into a byte position.
pub fn parse_lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.trim().split_once('/')?;
    let hi = u64::from_str_radix(hi, 16).ok()?;
    let lo = u64::from_str_radix(lo, 16).ok()?;
    if hi > u32::MAX as u64 || lo > u32::MAX as u64 {
        return None;
    }
    Some((hi << 32) | lo)
}

/// Formats a byte position as PostgreSQL's `X/Y`.
pub fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_round_trips() {
        assert_eq!(parse_lsn("0/3000000"), Some(0x300_0000));
        assert_eq!(parse_lsn("1/2A"), Some((1 << 32) | 0x2a));
        assert_eq!(format_lsn((1 << 32) | 0x2a), "1/2A");
        assert_eq!(parse_lsn("junk"), None);
        assert_eq!(parse_lsn("1FFFFFFFF/0"), None);
    }
}
