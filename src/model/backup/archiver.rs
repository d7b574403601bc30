//! Archiving health from the leader's `pg_stat_archiver`.
//!
//! Red when archiving fails (the last failure is newer than the last
//! success) or is stale (nothing archived for longer than
//! `archive_timeout` plus [`STALE_MARGIN_SECS`]). With `archive_timeout`
//! 0 a quiet database archives nothing, legitimately, so it is never stale.

use super::Archiver;
use serde::Serialize;

pub const STALE_MARGIN_SECS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ArchivingHealth {
    Ok {
        last: i64,
    },
    Failing {
        wal: Option<String>,
        at: i64,
    },
    Stale {
        last: Option<i64>,
        silent_secs: i64,
        limit_secs: i64,
    },
    NeverArchived,
}

pub fn health(a: &Archiver, archive_timeout_secs: u64, now: i64) -> ArchivingHealth {
    match (a.last_archived_time, a.last_failed_time) {
        (ok, Some(failed)) if ok.is_none_or(|ok| failed > ok) => ArchivingHealth::Failing {
            wal: a.last_failed_wal.clone(),
            at: failed,
        },
        (None, _) => ArchivingHealth::NeverArchived,
        (Some(last), _) => {
            let limit = archive_timeout_secs.min(i64::MAX as u64) as i64 + STALE_MARGIN_SECS;
            let silent = now - last;
            if archive_timeout_secs > 0 && silent > limit {
                ArchivingHealth::Stale {
                    last: Some(last),
                    silent_secs: silent,
                    limit_secs: limit,
                }
            } else {
                ArchivingHealth::Ok { last }
            }
        }
    }
}

impl ArchivingHealth {
    pub fn is_red(&self) -> bool {
        !matches!(self, ArchivingHealth::Ok { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(ok: Option<i64>, failed: Option<i64>) -> Archiver {
        Archiver {
            last_archived_time: ok,
            last_failed_time: failed,
            last_failed_wal: failed.map(|_| "000000010000000000000001".into()),
            ..Default::default()
        }
    }

    #[test]
    fn each_branch() {
        // The lab's sample: failures at start-up, archived since.
        assert_eq!(
            health(&a(Some(1000), Some(900)), 300, 1100),
            ArchivingHealth::Ok { last: 1000 }
        );
        assert!(matches!(
            health(&a(Some(1000), Some(1001)), 300, 1100),
            ArchivingHealth::Failing { at: 1001, .. }
        ));
        assert!(matches!(
            health(&a(None, Some(5)), 300, 10),
            ArchivingHealth::Failing { .. }
        ));
        assert_eq!(
            health(&a(None, None), 300, 10),
            ArchivingHealth::NeverArchived
        );
        assert_eq!(
            health(&a(Some(1000), None), 300, 1360),
            ArchivingHealth::Ok { last: 1000 }
        );
        assert_eq!(
            health(&a(Some(1000), None), 300, 1361),
            ArchivingHealth::Stale {
                last: Some(1000),
                silent_secs: 361,
                limit_secs: 360
            }
        );
        assert_eq!(
            health(&a(Some(1000), None), 0, 99_999),
            ArchivingHealth::Ok { last: 1000 }
        );
        assert!(health(&a(None, None), 0, 1).is_red());
    }
}
