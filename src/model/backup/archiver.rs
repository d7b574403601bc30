//! Archiving health from the leader's `pg_stat_archiver`.
//!
//! Red when archiving fails (the last failure is newer than the last
//! success) or is stale (nothing archived for longer than
//! `archive_timeout` plus [`STALE_MARGIN_SECS`]) while a finished segment
//! waits. PostgreSQL switches segments on `archive_timeout` only after
//! writes, so an idle database archives nothing for hours, legitimately:
//! when the segment being written is the one right after the last archived,
//! nothing waits and archiving is OK however old the last one is. With
//! `archive_timeout` 0 it is never stale either.

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
            let nothing_waits = match (&a.last_archived_wal, &a.current_wal) {
                (Some(l), Some(c)) => up_to_date(l, c),
                _ => false,
            };
            if archive_timeout_secs > 0 && silent > limit && !nothing_waits {
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

/// `(log, seg)` of a WAL file name (`TTTTTTTTLLLLLLLLSSSSSSSS…`).
fn log_seg(name: &str) -> Option<(u64, u64)> {
    let log = u64::from_str_radix(name.get(8..16)?, 16).ok()?;
    let seg = u64::from_str_radix(name.get(16..24)?, 16).ok()?;
    Some((log, seg))
}

/// Whether `current` is `last_archived` itself or the segment after it: then
/// no finished segment waits to be archived. Timelines aside (a promotion
/// continues the same segment number), and without the segment size: the
/// next of `(log, seg)` is `(log, seg+1)`, or `(log+1, 0)` at a wrap.
pub fn up_to_date(last_archived: &str, current: &str) -> bool {
    match (log_seg(last_archived), log_seg(current)) {
        (Some((ll, ls)), Some((cl, cs))) => {
            (cl, cs) <= (ll, ls) || (cl == ll && cs == ls + 1) || (cl == ll + 1 && cs == 0)
        }
        _ => false,
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

    #[test]
    fn an_idle_database_is_not_stale() {
        let idle = |last: &str, current: &str| Archiver {
            last_archived_time: Some(1000),
            last_archived_wal: Some(last.into()),
            current_wal: Some(current.into()),
            ..Default::default()
        };
        // Writing the segment after the last archived: nothing waits.
        assert_eq!(
            health(
                &idle("000000010000000000000007", "000000010000000000000008"),
                300,
                99_999
            ),
            ArchivingHealth::Ok { last: 1000 }
        );
        assert!(up_to_date(
            "0000000100000000000000FF",
            "000000010000000100000000"
        ));
        assert!(up_to_date(
            "00000001000000000000000C.00000028.backup",
            "00000002000000000000000D"
        ));
        // Two behind: a finished segment waits.
        assert!(matches!(
            health(
                &idle("000000010000000000000007", "000000010000000000000009"),
                300,
                99_999
            ),
            ArchivingHealth::Stale { .. }
        ));
        assert!(!up_to_date("garbage", "000000010000000000000009"));
    }
}
