//! Lab styles: the two ways real teams lay out a Patroni cluster.
//!
//! pgtui must work against both, so the lab can build either:
//! - [`LabStyle::Pigsty`] (the default, the reference lab of
//!   `/work/shared/samples`): namespace `/pg/`, plain-http etcd without
//!   authentication, Patroni REST over http, HAProxy services named
//!   `pg-test-primary` etc. on :5433.. with an authenticated stats page :9101.
//! - [`LabStyle::Autobase`], the hardened layout security-minded teams use:
//!   namespace `/service/`; etcd clients over TLS (a private CA made at lab
//!   start) with authentication on and Patroni confined to a role that may
//!   only touch `/service/`; Patroni REST over https; `synchronous_mode`;
//!   HAProxy with autobase's `master`/`replicas`/`replicas_sync`/
//!   `replicas_async` on :5000-5003 and an unauthenticated stats page :7000.
//!
//! Everything that differs between the styles is asked of this type, so
//! the renderers and probes hold no scattered `if autobase`.

use serde::{Deserialize, Serialize};

/// How the lab's cluster is laid out (see the module doc).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabStyle {
    #[default]
    Pigsty,
    Autobase,
}

/// One HAProxy `listen` section: its name, port, Patroni health endpoint,
/// servers as (pg-test member index, is backup), and whether its servers
/// are the members' pgbouncers (:6432) rather than their PostgreSQL.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub name: String,
    pub port: u16,
    pub check: &'static str,
    pub servers: Vec<(usize, bool)>,
    pub pooled: bool,
}

impl LabStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            LabStyle::Pigsty => "pigsty",
            LabStyle::Autobase => "autobase",
        }
    }

    /// Patroni namespace of both clusters.
    pub fn namespace(self) -> &'static str {
        match self {
            LabStyle::Pigsty => "/pg/",
            LabStyle::Autobase => "/service/",
        }
    }

    /// Whether etcd clients and Patroni REST speak TLS (and etcd wants auth).
    pub fn hardened(self) -> bool {
        self == LabStyle::Autobase
    }

    /// `http` or `https`, for etcd client URLs and Patroni REST alike.
    pub fn scheme(self) -> &'static str {
        if self.hardened() {
            "https"
        } else {
            "http"
        }
    }

    /// HAProxy's stats port.
    pub(crate) fn stats_port(self, pigsty_port: u16) -> u16 {
        match self {
            LabStyle::Pigsty => pigsty_port,
            LabStyle::Autobase => 7000,
        }
    }

    /// HAProxy stats path (before `;csv`).
    pub(crate) fn stats_path(self) -> &'static str {
        match self {
            LabStyle::Pigsty => "/stats",
            LabStyle::Autobase => "/",
        }
    }

    /// The `listen` section whose routing proves the lab ready.
    pub(crate) fn primary_proxy(self, cluster: &str) -> String {
        match self {
            LabStyle::Pigsty => format!("{cluster}-primary"),
            LabStyle::Autobase => "master".into(),
        }
    }

    /// The service sections of one HAProxy. Pigsty's server names and backup
    /// roles follow the reference lab's stats CSV (pg-test-3 plays Pigsty's
    /// "offline" instance); autobase puts every member in every service.
    /// Pooling follows each stack's default: Pigsty sends primary and
    /// replica through the pgbouncer beside each member and default and
    /// offline straight to PostgreSQL; autobase, with `pgbouncer_install`,
    /// sends every service through pgbouncer.
    pub(crate) fn services(self, cluster: &str, p: &super::spec::LabPorts) -> Vec<Service> {
        let all = vec![(0, false), (1, false), (2, false)];
        let svc = |name: String, port, check, servers: &[(usize, bool)], pooled| Service {
            name,
            port,
            check,
            servers: servers.to_vec(),
            pooled,
        };
        match self {
            LabStyle::Pigsty => vec![
                svc(
                    format!("{cluster}-primary"),
                    p.primary,
                    "/primary",
                    &all,
                    true,
                ),
                svc(
                    format!("{cluster}-replica"),
                    p.replica,
                    "/read-only",
                    &[(0, true), (1, false), (2, true)],
                    true,
                ),
                svc(
                    format!("{cluster}-default"),
                    p.default,
                    "/primary",
                    &all,
                    false,
                ),
                svc(
                    format!("{cluster}-offline"),
                    p.offline,
                    "/replica",
                    &[(2, false), (1, true)],
                    false,
                ),
            ],
            LabStyle::Autobase => vec![
                svc("master".into(), 5000, "/primary", &all, true),
                svc("replicas".into(), 5001, "/replica", &all, true),
                svc("replicas_sync".into(), 5002, "/sync", &all, true),
                svc("replicas_async".into(), 5003, "/async", &all, true),
            ],
        }
    }
}

impl std::fmt::Display for LabStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LabStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pigsty" => Ok(LabStyle::Pigsty),
            "autobase" => Ok(LabStyle::Autobase),
            other => Err(format!(
                "unknown lab style {other:?}: expected pigsty or autobase"
            )),
        }
    }
}
