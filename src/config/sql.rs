//! The SQL probes' login and TLS settings, with libpq's `sslmode` meanings.
//!
//! A DBA already knows `sslmode`, `sslrootcert`, `sslcert` and `sslkey`
//! from libpq and from Patroni's `postgresql.authentication.superuser`, so
//! pgtui takes the same names, the same `PGSSL*` variables and the same
//! meanings, with one difference made on purpose: `allow` is taken as
//! `prefer` (TLS first), because trying a plain connection first would send
//! the login over plain TCP to a server that offers TLS.
//!
//! The CA defaults to the one Patroni's REST API is verified with, because
//! teams with a private CA sign their PostgreSQL certificates with it too.
//! As in libpq, a CA that is present is used in every TLS mode: the chain is
//! verified in `prefer` and `require` as in `verify-ca`, and the host name
//! only in `verify-full`.

use super::patroni_file::PatroniFile;
use super::settings::Settings;
use super::{ConfigError, RestConfig, Secret};
use std::path::PathBuf;
use std::time::Duration;

/// libpq's `sslmode`, as the SQL probes and the service probe apply it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, else plain (`allow` too).
    Prefer,
    /// TLS or no connection.
    Require,
    /// TLS, with a certificate signed by the CA.
    VerifyCa,
    /// TLS, with a certificate signed by the CA that names the host.
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Option<SslMode> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether a connection without TLS is refused.
    pub fn needs_tls(self) -> bool {
        self >= SslMode::Require
    }
}

/// TLS for the SQL connections, each setting with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlTls {
    pub mode: SslMode,
    /// Which setting gave `mode` (`[sql] sslmode`, `PGSSLMODE`, ...).
    pub mode_from: &'static str,
    pub rootcert: Option<PathBuf>,
    pub rootcert_from: &'static str,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `-k`/`ctl.insecure`: REST's "accept any certificate" holds here too.
    pub insecure: bool,
}

/// libpq's defaults: `prefer`, no CA.
impl Default for SqlTls {
    fn default() -> Self {
        SqlTls {
            mode: SslMode::Prefer,
            mode_from: "the default",
            rootcert: None,
            rootcert_from: "",
            cert: None,
            key: None,
            insecure: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SqlConfig {
    pub user: String,
    pub password: Option<Secret>,
    pub dbname: String,
    pub connect_timeout: Duration,
    pub poll_interval: Duration,
    pub tls: SqlTls,
}

/// The first of several candidates that is set, with its name.
fn first<T>(candidates: Vec<(&'static str, Option<T>)>) -> (Option<T>, &'static str) {
    candidates
        .into_iter()
        .find_map(|(from, v)| v.map(|v| (v, from)))
        .map_or((None, ""), |(v, from)| (Some(v), from))
}

fn tls(
    settings: &Settings,
    file: &PatroniFile,
    rest: &RestConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SqlTls, ConfigError> {
    let s = settings.sql.clone().unwrap_or_default();
    let su = file
        .postgresql
        .as_ref()
        .and_then(|p| p.authentication.as_ref())
        .and_then(|a| a.superuser.clone())
        .unwrap_or_default();
    let path = |v: Option<String>| v.map(PathBuf::from);
    let (mode, mode_from) = first(vec![
        ("PGSSLMODE", env("PGSSLMODE")),
        ("[sql] sslmode", s.sslmode.clone()),
        ("postgresql.authentication.superuser.sslmode", su.sslmode),
    ]);
    let (mode, mode_from) = match mode {
        None => (SslMode::Prefer, "the default"),
        Some(m) => (
            SslMode::parse(&m).ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "{mode_from} must be disable, allow, prefer, require, verify-ca or verify-full, not {:?}",
                    crate::text::clip(&crate::text::escape(&m), 40)
                ))
            })?,
            mode_from,
        ),
    };
    let home_root = dirs::home_dir()
        .map(|h| h.join(".postgresql").join("root.crt"))
        .filter(|p| p.is_file());
    let (rootcert, rootcert_from) = first(vec![
        ("PGSSLROOTCERT", path(env("PGSSLROOTCERT"))),
        ("[sql] sslrootcert", s.sslrootcert.clone()),
        (
            "postgresql.authentication.superuser.sslrootcert",
            su.sslrootcert,
        ),
        (
            "the REST CA (ctl.cacert or restapi.cafile)",
            rest.tls.cacert.clone(),
        ),
        ("~/.postgresql/root.crt", home_root),
    ]);
    if rootcert.as_deref().and_then(|p| p.to_str()) == Some("system") {
        return Err(ConfigError::Invalid(format!(
            "{rootcert_from} = system is not supported; give the CA file that signed the servers' certificates"
        )));
    }
    if mode >= SslMode::VerifyCa && rootcert.is_none() && !rest.insecure {
        return Err(ConfigError::Invalid(format!(
            "sslmode {} (from {mode_from}) needs a CA to verify against: set [sql] sslrootcert, PGSSLROOTCERT, postgresql.authentication.superuser.sslrootcert or ctl.cacert",
            mode.as_str()
        )));
    }
    let (cert, _) = first(vec![
        ("PGSSLCERT", path(env("PGSSLCERT"))),
        ("[sql] sslcert", s.sslcert.clone()),
        ("superuser.sslcert", su.sslcert),
    ]);
    let (key, _) = first(vec![
        ("PGSSLKEY", path(env("PGSSLKEY"))),
        ("[sql] sslkey", s.sslkey.clone()),
        ("superuser.sslkey", su.sslkey),
    ]);
    if cert.is_some() != key.is_some() {
        return Err(ConfigError::Invalid(
            "sslcert and sslkey (for the SQL probes' client certificate) must be given together"
                .into(),
        ));
    }
    Ok(SqlTls {
        mode,
        mode_from,
        rootcert,
        rootcert_from,
        cert,
        key,
        insecure: rest.insecure,
    })
}

/// The SQL login (none without a user) from the environment, the settings
/// and the YAML's superuser, in that order.
pub fn sql_config(
    settings: &Settings,
    file: &PatroniFile,
    rest: &RestConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SqlConfig>, ConfigError> {
    let s = settings.sql.clone().unwrap_or_default();
    let superuser = file
        .postgresql
        .as_ref()
        .and_then(|p| p.authentication.as_ref())
        .and_then(|a| a.superuser.clone());
    let user = env("PGTUI_SQL_USER")
        .or(s.user.clone())
        .or_else(|| superuser.as_ref().and_then(|a| a.username.clone()));
    let password = env("PGTUI_SQL_PASSWORD")
        .map(Secret::new)
        .or(s.password.clone())
        .or_else(|| superuser.and_then(|a| a.password));
    let Some(user) = user else { return Ok(None) };
    Ok(Some(SqlConfig {
        user,
        password,
        dbname: s.dbname.clone().unwrap_or_else(|| "postgres".into()),
        connect_timeout: super::resolve::ms(s.connect_timeout_ms, 2000, "sql.connect_timeout_ms")?,
        poll_interval: super::resolve::ms(s.poll_interval_ms, 2000, "sql.poll_interval_ms")?,
        tls: tls(settings, file, rest, env)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn rest(cacert: Option<&str>) -> RestConfig {
        RestConfig {
            username: None,
            password: None,
            tls: super::super::TlsFiles {
                cacert: cacert.map(PathBuf::from),
                ..Default::default()
            },
            insecure: false,
            timeout: Duration::from_secs(1),
            poll_interval: Duration::from_secs(1),
        }
    }

    fn tls_of(
        toml: &str,
        yaml: &str,
        ca: Option<&str>,
        env: &[(&str, &str)],
    ) -> Result<SqlTls, String> {
        let settings = Settings::parse(toml, Path::new("s.toml")).unwrap();
        let file = PatroniFile::parse(yaml, Path::new("p.yml")).unwrap();
        let env = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        sql_config(&settings, &file, &rest(ca), &env)
            .map(|c| c.expect("a user is set").tls)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn sslmode_comes_from_env_then_settings_then_superuser() {
        let yaml = "postgresql:\n  authentication:\n    superuser:\n      username: postgres\n      sslmode: require\n";
        let t = tls_of("", yaml, None, &[]).unwrap();
        assert_eq!(
            (t.mode, t.mode_from),
            (
                SslMode::Require,
                "postgresql.authentication.superuser.sslmode"
            )
        );
        let t = tls_of("[sql]\nsslmode = \"disable\"\n", yaml, None, &[]).unwrap();
        assert_eq!((t.mode, t.mode_from), (SslMode::Disable, "[sql] sslmode"));
        let t = tls_of(
            "[sql]\nsslmode = \"disable\"\n",
            yaml,
            None,
            &[("PGSSLMODE", "allow")],
        )
        .unwrap();
        assert_eq!((t.mode, t.mode_from), (SslMode::Prefer, "PGSSLMODE"));
        let t = tls_of("[sql]\nuser = \"u\"\n", "", None, &[]).unwrap();
        assert_eq!((t.mode, t.mode_from), (SslMode::Prefer, "the default"));
    }

    #[test]
    fn the_rest_ca_is_the_default_root_and_explicit_roots_win() {
        let t = tls_of(
            "[sql]\nuser = \"u\"\n",
            "",
            Some("/etc/patroni/ca.crt"),
            &[],
        )
        .unwrap();
        assert_eq!(
            t.rootcert.as_deref(),
            Some(Path::new("/etc/patroni/ca.crt"))
        );
        assert!(t.rootcert_from.contains("REST CA"));
        let t = tls_of(
            "[sql]\nuser = \"u\"\nsslrootcert = \"/pg/ca.crt\"\n",
            "",
            Some("/etc/patroni/ca.crt"),
            &[],
        )
        .unwrap();
        assert_eq!(
            (t.rootcert.as_deref(), t.rootcert_from),
            (Some(Path::new("/pg/ca.crt")), "[sql] sslrootcert")
        );
    }

    #[test]
    fn bad_tls_settings_are_refused_with_the_field_named() {
        let e = tls_of(
            "[sql]\nuser = \"u\"\nsslmode = \"verify-everything\"\n",
            "",
            None,
            &[],
        )
        .unwrap_err();
        assert!(
            e.contains("[sql] sslmode must be disable, allow, prefer"),
            "{e}"
        );
        let e = tls_of(
            "[sql]\nuser = \"u\"\n",
            "",
            None,
            &[("PGSSLMODE", "verify-full")],
        )
        .unwrap_err();
        assert!(e.contains("verify-full (from PGSSLMODE) needs a CA"), "{e}");
        let e = tls_of("[sql]\nuser = \"u\"\nsslcert = \"/c.crt\"\n", "", None, &[]).unwrap_err();
        assert!(e.contains("sslcert and sslkey"), "{e}");
        let e = tls_of(
            "[sql]\nuser = \"u\"\n",
            "",
            None,
            &[("PGSSLROOTCERT", "system")],
        )
        .unwrap_err();
        assert!(e.contains("PGSSLROOTCERT = system is not supported"), "{e}");
    }
}
