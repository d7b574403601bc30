//! Patroni's DCS layout, decoded.
//!
//! Patroni keeps one cluster's state under `/<namespace>/<scope>/` in etcd.
//! [`keys`] maps a key path to what it means; [`decode`] turns each value into
//! a typed datum. [`etcd_client`] talks to etcd over every endpoint, and
//! [`etcd_error`] says what went wrong in terms a DBA can act on. Decoding never fails the whole cluster: a value that does not
//! parse is kept raw and marked [`Decoded::Unparseable`], so one corrupt member
//! key cannot hide the rest of the cluster from an on-call DBA.

pub mod decode;
pub mod etcd_client;
pub mod etcd_error;
pub mod keys;
pub mod lease;
pub mod types;

pub use decode::{decode_value, Decoded};
pub use etcd_client::{EndpointHealth, Etcd};
pub use etcd_error::{Access, EtcdError, Fault};
pub use keys::{normalize_namespace, parse_key, KeyKind, ParsedKey};
pub use types::*;
