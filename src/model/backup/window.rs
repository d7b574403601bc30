//! The recoverable window and its holes.
//!
//! The window runs from the oldest usable backup's stop time to the last
//! archived WAL's time. Replay needs every segment from that backup's first
//! WAL segment to the archive's `max`: on each timeline, from where it
//! begins to where it ends, and each timeline must begin no later than one
//! segment after the previous one ends (a promotion mid-segment puts that
//! segment on both). Each run of missing segments is a [`Hole`].

use super::wal::{parse_segment, segment_name, Segment};
use super::{Archiver, StanzaInfo, WalFile};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hole {
    pub timeline: u32,
    /// The first and last missing segment names.
    pub first: String,
    pub last: String,
    pub count: u64,
    /// Repo times of the present segments either side.
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub from_segno: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub from: i64,
    pub to: Option<i64>,
    /// The oldest usable backup's label.
    pub base: String,
    pub holes: Vec<Hole>,
    pub first: Option<Segment>,
    pub last: Option<Segment>,
    /// The segment size the names were read with.
    pub seg_size: u64,
}

pub fn window(
    stanza: &StanzaInfo,
    archiver: Option<&Archiver>,
    wal: &[WalFile],
    seg_size: u64,
) -> Option<Window> {
    let oldest = stanza.usable().min_by_key(|b| b.stop)?;
    let start = oldest
        .wal_start
        .as_deref()
        .and_then(|n| parse_segment(n, seg_size));
    let archive = stanza
        .archives
        .iter()
        .rfind(|a| a.db_id == oldest.db_id && a.repo_key == oldest.repo_key)
        .or(stanza.archives.last());
    let max = archive
        .and_then(|a| a.max.as_deref())
        .and_then(|n| parse_segment(n, seg_size));
    let mut w = Window {
        from: oldest.stop,
        to: archiver.and_then(|a| a.last_archived_time),
        base: oldest.label.clone(),
        holes: vec![],
        first: start,
        last: max,
        seg_size,
    };
    let (Some(start), Some(max)) = (start, max) else {
        return Some(w);
    };
    let mut by_tl: BTreeMap<u32, BTreeMap<u64, Option<i64>>> = BTreeMap::new();
    for f in wal {
        if let Some(s) = parse_segment(&f.name, seg_size) {
            if s.timeline >= start.timeline && s.timeline <= max.timeline && s.segno >= start.segno
            {
                let t = by_tl
                    .entry(s.timeline)
                    .or_default()
                    .entry(s.segno)
                    .or_insert(f.time);
                *t = (*t).max(f.time);
            }
        }
    }
    // The last present segment (segno, time) before the one expected next.
    let mut expect = start.segno;
    let mut prev_time: Option<i64> = None;
    let mut tl_now = start.timeline;
    let hole = |tl: u32, from: u64, to: u64, after: Option<i64>, before: Option<i64>| Hole {
        timeline: tl,
        first: segment_name(
            Segment {
                timeline: tl,
                segno: from,
            },
            seg_size,
        ),
        last: segment_name(
            Segment {
                timeline: tl,
                segno: to,
            },
            seg_size,
        ),
        count: to - from + 1,
        after,
        before,
        from_segno: from,
    };
    let mut holes = vec![];
    for (&tl, segs) in &by_tl {
        for (&n, &t) in segs {
            if n > expect {
                holes.push(hole(tl, expect, n - 1, prev_time, t));
            }
            if n + 1 > expect {
                expect = n + 1;
            }
            prev_time = t.or(prev_time);
        }
        tl_now = tl;
    }
    if expect <= max.segno {
        holes.push(hole(
            max.timeline.max(tl_now),
            expect,
            max.segno,
            prev_time,
            None,
        ));
    }
    w.holes = holes;
    Some(w)
}

impl Window {
    pub fn contains(&self, t: i64) -> bool {
        self.from <= t && self.to.is_some_and(|to| t <= to)
    }

    /// The first hole a restore to `target` would have to replay through.
    pub fn hole_for_target(&self, stanza: &StanzaInfo, target: i64) -> Option<&Hole> {
        self.hole_between(stanza.backup_for_target(target)?, target)
    }

    /// The first hole replay from backup `b` to `target` would meet.
    pub fn hole_between(&self, b: &super::BackupSet, target: i64) -> Option<&Hole> {
        let from = b
            .wal_start
            .as_deref()
            .and_then(|n| parse_segment(n, self.seg_size))
            .map(|s| s.segno)
            .unwrap_or(0);
        self.holes
            .iter()
            .find(|h| h.from_segno >= from && h.after.is_none_or(|a| a < target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::backup::info::parse_info;

    const SEG: u64 = crate::model::backup::wal::DEFAULT_SEGMENT_SIZE;
    const INFO: &[u8] =
        include_bytes!("../../../tests/fixtures/pgbackrest/info-after-new-full.json");

    fn files(names: &[(u32, u64)]) -> Vec<WalFile> {
        names
            .iter()
            .map(|&(tl, n)| WalFile {
                name: format!(
                    "{}-{}.lz4",
                    segment_name(
                        Segment {
                            timeline: tl,
                            segno: n
                        },
                        SEG
                    ),
                    "a".repeat(40)
                ),
                time: Some(1_000 + n as i64 * 10),
            })
            .collect()
    }

    #[test]
    fn holes_where_segments_are_missing() {
        let st = &parse_info(INFO).unwrap()[0];
        let oldest = st.usable().min_by_key(|b| b.stop).unwrap();
        let start = parse_segment(oldest.wal_start.as_deref().unwrap(), SEG).unwrap();
        let max = parse_segment(st.archives.last().unwrap().max.as_deref().unwrap(), SEG).unwrap();
        assert!(max.segno > start.segno + 2, "the fixture spans segments");
        // Continuous on the backup's timeline up to a switch, then on max's.
        let mut all: Vec<(u32, u64)> = (start.segno..=start.segno + 1)
            .map(|n| (start.timeline, n))
            .collect();
        all.extend((start.segno + 1..=max.segno).map(|n| (max.timeline, n)));
        let w = window(st, None, &files(&all), SEG).unwrap();
        assert_eq!(
            w.holes,
            vec![],
            "continuous archive, one switch with the segment on both"
        );
        assert_eq!(w.base, oldest.label);
        assert_eq!(w.from, oldest.stop);
        // One segment gone on the last timeline.
        let gone = start.segno + 2;
        let some: Vec<_> = all
            .iter()
            .copied()
            .filter(|&(tl, n)| !(tl == max.timeline && n == gone))
            .collect();
        let w = window(st, None, &files(&some), SEG).unwrap();
        assert_eq!(w.holes.len(), 1, "{:?}", w.holes);
        let h = &w.holes[0];
        assert_eq!((h.timeline, h.count), (max.timeline, 1));
        assert_eq!(
            h.first,
            segment_name(
                Segment {
                    timeline: max.timeline,
                    segno: gone
                },
                SEG
            )
        );
        assert_eq!(
            (h.after, h.before),
            (
                Some(1_000 + (gone as i64 - 1) * 10),
                Some(1_000 + (gone as i64 + 1) * 10)
            )
        );
        let newest = st.last_backup().unwrap();
        assert_eq!(
            w.hole_for_target(st, newest.stop - 1),
            Some(h),
            "restoring from the oldest set replays through it"
        );
        assert_eq!(
            w.hole_for_target(st, newest.stop + 60),
            None,
            "the newest set starts past it"
        );
        // The archive stops short of max: a hole at the end.
        let short: Vec<_> = all
            .iter()
            .copied()
            .filter(|&(_, n)| n < max.segno)
            .collect();
        let w = window(st, None, &files(&short), SEG).unwrap();
        assert_eq!(w.holes.len(), 1);
        assert_eq!(w.holes[0].first, segment_name(max, SEG));
        // The first segment after the backup's start is missing.
        let late: Vec<_> = all
            .iter()
            .copied()
            .filter(|&(_, n)| n != start.segno)
            .collect();
        let w = window(st, None, &files(&late), SEG).unwrap();
        assert_eq!(w.holes[0].from_segno, start.segno);
        assert_eq!(w.holes[0].after, None);
    }

    #[test]
    fn no_usable_backup_no_window() {
        let mut st = parse_info(INFO).unwrap().remove(0);
        for b in &mut st.backups {
            b.error = Some(true);
        }
        assert_eq!(window(&st, None, &[], SEG), None);
    }
}
