//! WAL segment names and `pgbackrest repo-ls` listings.
//!
//! A segment name is timeline, log and segment, 8 hex digits each; with a
//! segment size S there are 2^32 / S segments per log. pgBackRest stores a
//! segment as `NAME-<sha1>[.gz|.lz4|.zst|.bz2]`, the last one of a timeline
//! left at a promotion as `NAME.partial-<sha1>…`, which counts as present.

use super::WalFile;
use serde::{Deserialize, Serialize};

pub const DEFAULT_SEGMENT_SIZE: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Segment {
    pub timeline: u32,
    pub segno: u64,
}

fn per_log(seg_size: u64) -> u64 {
    0x1_0000_0000u64
        .checked_div(seg_size)
        .unwrap_or(0x100)
        .max(1)
}

/// The segment a stored file holds; None for history, backup labels and
/// anything else.
pub fn parse_segment(name: &str, seg_size: u64) -> Option<Segment> {
    let head = name.get(..24)?;
    if !head.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let rest = &name[24..];
    if !(rest.is_empty() || rest.starts_with('-') || rest.starts_with(".partial")) {
        return None;
    }
    let hex = |r: std::ops::Range<usize>| u64::from_str_radix(&head[r], 16).ok();
    let (tl, log, seg) = (hex(0..8)?, hex(8..16)?, hex(16..24)?);
    let n = per_log(seg_size);
    if seg >= n {
        return None;
    }
    Some(Segment {
        timeline: u32::try_from(tl).ok()?,
        segno: log * n + seg,
    })
}

pub fn segment_name(s: Segment, seg_size: u64) -> String {
    let n = per_log(seg_size);
    format!("{:08X}{:08X}{:08X}", s.timeline, s.segno / n, s.segno % n)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalListError {
    #[error("pgbackrest repo-ls output is not a JSON object: {0}")]
    Malformed(String),
}

/// The files of `pgbackrest repo-ls --output=json --recurse PATH`: an object
/// of relative path → `{"type": "file"|"path"|"link", "size", "time"}`.
pub fn parse_repo_ls(json: &[u8]) -> Result<Vec<WalFile>, WalListError> {
    parse_repo_ls_under(json, "")
}

/// [`parse_repo_ls`], keeping only the paths under `prefix` (`15-1/`, one
/// archive id of a listing of the whole stanza's archive).
pub fn parse_repo_ls_under(json: &[u8], prefix: &str) -> Result<Vec<WalFile>, WalListError> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| WalListError::Malformed(e.to_string()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| WalListError::Malformed("not an object".into()))?;
    Ok(obj
        .iter()
        .filter(|(path, e)| e["type"] == "file" && path.starts_with(prefix))
        .map(|(path, e)| WalFile {
            name: crate::text::escape(path.rsplit('/').next().unwrap_or(path)).into_owned(),
            time: e["time"].as_i64(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_pgbackrest_stores_them() {
        let sha = "-11d9b8f0f396e10c09638af9de38b06117024eb4";
        let s16 = DEFAULT_SEGMENT_SIZE;
        let want = Some(Segment {
            timeline: 3,
            segno: 13,
        });
        assert_eq!(
            parse_segment(&format!("00000003000000000000000D{sha}.lz4"), s16),
            want
        );
        assert_eq!(parse_segment("00000003000000000000000D", s16), want);
        assert_eq!(
            parse_segment(&format!("00000003000000000000000D.partial{sha}.gz"), s16),
            want
        );
        assert_eq!(
            parse_segment("000000030000000100000002", s16),
            Some(Segment {
                timeline: 3,
                segno: 258
            })
        );
        assert_eq!(
            parse_segment("000000030000000100000002", 64 << 20),
            Some(Segment {
                timeline: 3,
                segno: 66
            })
        );
        assert_eq!(
            parse_segment("000000030000000000000040", 64 << 20),
            None,
            "64 MiB has 64 segments a log"
        );
        assert_eq!(
            parse_segment("00000003000000000000000C.00000028.backup", s16),
            None
        );
        assert_eq!(parse_segment("00000002.history", s16), None);
        assert_eq!(parse_segment("0000000300000000000000ZZ", s16), None);
        assert_eq!(parse_segment("", s16), None);
        assert_eq!(parse_segment("é00000030000000000000000D", s16), None);
        for s in [
            Segment {
                timeline: 1,
                segno: 0,
            },
            Segment {
                timeline: 0x1A,
                segno: 300,
            },
        ] {
            assert_eq!(parse_segment(&segment_name(s, s16), s16), Some(s));
            assert_eq!(parse_segment(&segment_name(s, 64 << 20), 64 << 20), Some(s));
        }
    }

    #[test]
    fn repo_ls_as_pgbackrest_2_45_prints_it() {
        let out = br#"{".":{"type":"path"},"0000000100000000":{"type":"path"},"0000000100000000/000000010000000000000001-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gz":{"type":"file","size":0,"time":1796244314},"00000002.history":{"type":"file","size":0,"time":1796244314}}"#;
        let files = parse_repo_ls(out).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().any(|f| f.name
            == "000000010000000000000001-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gz"
            && f.time == Some(1796244314)));
        assert!(parse_repo_ls(b"[]").is_err());
        assert!(parse_repo_ls(b"{").is_err());
    }
}
