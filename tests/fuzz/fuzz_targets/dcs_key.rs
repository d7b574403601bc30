//! An etcd key into `parse_key` (and a namespace into
//! `normalize_namespace`), as the watch sees every key under the
//! namespace.
//!
//! Input: the first byte picks a namespace (or says how many of the
//! following bytes are one), the rest is the key. Asserted:
//! - a key outside the namespace, or without a cluster, is `None`; a UTF-8
//!   key `<ns><cluster>/<tail>` with a non-empty cluster is `Some`;
//! - the cluster and member names are non-empty, hold no `/` and no unsafe
//!   character;
//! - the key rebuilt from the parse (`<ns><cluster>/<tail()>`) parses to the
//!   same thing, and is the original key byte for byte when that key was
//!   safe UTF-8 (so a later delete of that key finds the entry);
//! - namespaces normalise to `/…/`, and normalising twice changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::dcs::{normalize_namespace, parse_key, KeyKind};
use pgtui_fuzz::{assert_safe, bounded};

const NAMESPACES: [&str; 4] = ["/pg/", "/service/", "/", "/a/b/"];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (ns, key) = if sel < 0xf0 {
        (
            NAMESPACES[sel as usize % NAMESPACES.len()].to_string(),
            rest,
        )
    } else {
        let n = ((sel - 0xf0) as usize).min(rest.len());
        let raw = String::from_utf8_lossy(&rest[..n]);
        let ns = normalize_namespace(&raw);
        assert!(ns.starts_with('/') && ns.ends_with('/'), "namespace {ns:?}");
        assert_eq!(normalize_namespace(&ns), ns, "normalising {raw:?} twice");
        (ns, &rest[n..])
    };
    let parsed = bounded("parse_key", || parse_key(&ns, key));
    let Some(after) = key.strip_prefix(ns.as_bytes()) else {
        assert!(parsed.is_none(), "a key outside {ns:?} parsed: {parsed:?}");
        return;
    };
    if let Ok(s) = std::str::from_utf8(after) {
        let well_formed = s.split_once('/').is_some_and(|(c, _)| !c.is_empty());
        assert_eq!(
            parsed.is_some(),
            well_formed,
            "{s:?} under {ns:?}: {parsed:?}"
        );
    }
    let Some(p) = parsed else { return };
    assert!(
        !p.cluster.is_empty() && !p.cluster.contains('/'),
        "cluster {:?}",
        p.cluster
    );
    assert_safe("a cluster name", &p.cluster);
    let tail = p.kind.tail();
    assert_safe("a key's tail", &tail);
    if let KeyKind::Member(m) = &p.kind {
        assert!(!m.is_empty() && !m.contains('/'), "member {m:?}");
    }
    let rebuilt = format!("{ns}{}/{tail}", p.cluster);
    assert_eq!(
        parse_key(&ns, rebuilt.as_bytes()).as_ref(),
        Some(&p),
        "{rebuilt:?} parses otherwise"
    );
    if std::str::from_utf8(after).is_ok_and(|s| !pgtui::text::has_unsafe(s)) {
        assert_eq!(rebuilt.as_bytes(), key, "a safe key is not rebuilt exactly");
    }
});
