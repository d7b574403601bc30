//! Reading a prefix of any size, a page at a time.
//!
//! One range request over a whole namespace is one gRPC message, and the
//! client refuses messages over its decoding limit: at a few thousand
//! clusters (fewer with real Patroni configs) the listing simply failed, and
//! looked like etcd down. So a prefix is read in pages of [`PAGE`] keys, every
//! page after the first pinned to the first page's revision, which makes the
//! pages one consistent snapshot. The limit is raised too, but only as a
//! guard for one page of unusually large values: pagination is what removes
//! the ceiling. A revision compacted away between two pages (etcd answers
//! OutOfRange) restarts the read at the newest revision.

use super::etcd::Listing;
use crate::dcs::{Access, Etcd, EtcdError};
use etcd_client::{Client, GetOptions, GetResponse};
use std::time::Duration;

/// Keys per page: small enough that a page of Patroni-sized values (a
/// config of about 1 KiB, members of 200 B) is a few MiB at most, large
/// enough that a fleet of 5,000 clusters is 20 round trips.
pub const PAGE: i64 = 2000;
/// The decoding limit of a page (etcd itself caps one value at 1.5 MiB by
/// default; the client's own default is 4 MiB).
pub const DECODE_LIMIT: usize = 64 << 20;
/// A page is a small request; the whole read gets this per page.
const PAGE_TIMEOUT: Duration = Duration::from_secs(5);
/// Restarts after a compaction between pages, before giving up.
const RESTARTS: u32 = 3;

/// The first key after every key that starts with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // Every byte 0xff: the range runs to the end of the keyspace.
    vec![0]
}

/// What a page request got: a page, or etcd's "that revision is gone".
enum Got {
    Page(GetResponse),
    Compacted,
}

async fn page(
    c: Client,
    start: Vec<u8>,
    end: Vec<u8>,
    rev: i64,
    keys_only: bool,
) -> Result<Got, etcd_client::Error> {
    let mut o = GetOptions::new()
        .with_range(end)
        .with_limit(PAGE)
        .with_revision(rev);
    if keys_only {
        o = o.with_keys_only();
    }
    let mut kv = c.kv_client().max_decoding_message_size(DECODE_LIMIT);
    match kv.get(start, Some(o)).await {
        Ok(r) => Ok(Got::Page(r)),
        Err(etcd_client::Error::GRpcStatus(s))
            if rev > 0 && s.code() == tonic::Code::OutOfRange =>
        {
            Ok(Got::Compacted)
        }
        Err(e) => Err(e),
    }
}

/// Every key (and value, unless `keys_only`) under `prefix` at one
/// revision, and the endpoint that answered; `avoid` is tried last.
pub async fn read(
    etcd: &Etcd,
    prefix: &str,
    avoid: Option<usize>,
    keys_only: bool,
) -> Result<(Listing, usize), EtcdError> {
    let access = Access::read_prefix(prefix);
    let end = prefix_end(prefix.as_bytes());
    let mut restarts = 0;
    'read: loop {
        let mut out = Vec::new();
        let mut start = prefix.as_bytes().to_vec();
        let (mut rev, mut at) = (0i64, None);
        loop {
            let ask = |c: Client| page(c, start.clone(), end.clone(), rev, keys_only);
            let got = match at {
                None => {
                    let (g, i) = etcd
                        .request_avoiding(&access, PAGE_TIMEOUT, avoid, ask)
                        .await?;
                    at = Some(i);
                    g
                }
                Some(i) => etcd.request_on(i, &access, PAGE_TIMEOUT, &ask).await?,
            };
            let mut resp = match got {
                Got::Page(r) => r,
                Got::Compacted if restarts < RESTARTS => {
                    restarts += 1;
                    continue 'read;
                }
                Got::Compacted => {
                    return Err(EtcdError::new(
                        crate::dcs::Fault::Other,
                        etcd.endpoint(at.unwrap_or(0)),
                        &access,
                        format!(
                            "etcd compacted the listing's revision {RESTARTS} times while it was \
                             being read page by page; the compaction schedule is far too tight"
                        ),
                    ))
                }
            };
            if rev == 0 {
                rev = resp.header().map(|h| h.revision()).unwrap_or(0);
            }
            let more = resp.more();
            let kvs = resp.take_kvs();
            if let Some(last) = kvs.last() {
                start = last.key().to_vec();
                start.push(0);
            }
            let empty = kvs.is_empty();
            out.extend(kvs.into_iter().map(|kv| {
                let rev = kv.mod_revision();
                let (k, v) = kv.into_key_value();
                (k, v, rev)
            }));
            if !more || empty {
                return Ok(((rev, out), at.unwrap_or(0)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_end_is_the_first_key_past_the_prefix() {
        assert_eq!(prefix_end(b"/service/"), b"/service0".to_vec());
        assert_eq!(prefix_end(b"/a\xff"), b"/b".to_vec());
        assert_eq!(prefix_end(b"\xff\xff"), vec![0]);
    }
}
