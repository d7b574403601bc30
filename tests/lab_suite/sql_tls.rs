//! The SQL probes over TLS on the hardened lab, whose pg_hba takes TCP
//! logins only over TLS (`hostssl`) and whose servers present certificates
//! of the lab's private CA. Each `sslmode` is checked for what PostgreSQL
//! itself saw (`pg_stat_ssl` of the probe's own session) and for how it
//! fails: a plain login refused by pg_hba, a CA that did not sign the
//! server, a CA file that cannot be read.

#![allow(dead_code)]

use crate::common::SharedLab;
use pgtui::config::{resolve, Inputs};
use pgtui::model::{Model, ModelHandle, SourceId};
use pgtui::sources::Scope;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CLUSTER: &str = "pg-test";

/// Runs pgtui's sources with the lab's patronictl.yaml, the superuser as
/// SQL login and `extra` environment, until `done` accepts the model.
fn watch(
    lab: &SharedLab,
    extra: &[(&str, &str)],
    what: &str,
    done: impl Fn(&Model) -> Result<(), String>,
) {
    let mut env: BTreeMap<String, String> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("PGTUI_SQL_USER".into(), lab.info.superuser.clone());
    env.insert(
        "PGTUI_SQL_PASSWORD".into(),
        lab.info.superuser_password.clone(),
    );
    let config = resolve(
        &Inputs {
            config_file: Some(lab.info.patronictl_config.clone()),
            settings_file: Some("/dev/null".into()),
            cluster: Some(CLUSTER.into()),
            ..Default::default()
        },
        &|k| env.get(k).cloned(),
    )
    .unwrap_or_else(|e| panic!("{what}: resolve: {e}"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let model = ModelHandle::new(Model::new(&config.namespace));
        let etcd = pgtui::dcs::Etcd::new(&config.etcd);
        let _running = pgtui::sources::spawn_all(
            &config,
            &etcd,
            Scope::only(vec![CLUSTER.into()]),
            &model,
            false,
        );
        let end = Instant::now() + Duration::from_secs(40);
        loop {
            match model.read(&done) {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() > end => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    });
    if let Err(e) = result {
        panic!("{what}: {e}");
    }
}

fn members(lab: &SharedLab) -> Vec<String> {
    lab.info
        .clusters
        .iter()
        .find(|c| c.name == CLUSTER)
        .expect("pg-test in the lab")
        .members
        .iter()
        .map(|m| m.name.clone())
        .collect()
}

/// Every member's probe session is TLS, as PostgreSQL saw it.
fn all_tls(m: &Model, names: &[String]) -> Result<(), String> {
    let c = m.clusters.get(CLUSTER).ok_or("no pg-test yet")?;
    for n in names {
        let s = c
            .sql
            .get(n)
            .ok_or_else(|| format!("{n}: no SQL data; errors {:?}", c.sql_errors))?;
        match s.value.tls.as_deref() {
            Some(v) if v.starts_with("TLSv1.") => {}
            other => return Err(format!("{n}: pg_stat_ssl says {other:?}")),
        }
    }
    Ok(())
}

/// Every member's probe failed with an error holding each of `words`.
fn all_failed(m: &Model, names: &[String], words: &[&str]) -> Result<(), String> {
    let c = m.clusters.get(CLUSTER).ok_or("no pg-test yet")?;
    for n in names {
        let (_, err) = c
            .sql_errors
            .get(n)
            .ok_or_else(|| format!("{n}: no SQL error yet (data: {:?})", c.sql.get(n)))?;
        if let Some(w) = words.iter().find(|w| !err.contains(*w)) {
            return Err(format!("{n}: error lacks {w:?}: {err}"));
        }
        if c.sql.contains_key(n) {
            return Err(format!("{n}: has SQL data though every login must fail"));
        }
    }
    Ok(())
}

fn transport(m: &Model, words: &[&str]) -> Result<(), String> {
    let t = m.sql_transport.as_deref().ok_or("no sql_transport")?;
    match words.iter().find(|w| !t.contains(*w)) {
        Some(w) => Err(format!("sql_transport lacks {w:?}: {t}")),
        None => Ok(()),
    }
}

pub fn sql_probes_speak_tls_as_sslmode_says(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let names = members(lab);
    let ca = lab.info.ca_file.clone().expect("a hardened lab has a CA");
    let ca = ca.to_str().unwrap();

    // The default (prefer) verifies the chain against the REST CA, and the
    // service probe through HAProxy (which names no member) gets through.
    watch(lab, &[], "sslmode=prefer", |m| {
        all_tls(m, &names)?;
        transport(
            m,
            &["sslmode=prefer", ca, "REST CA", "host names not checked"],
        )?;
        let h = &m.clusters.get(CLUSTER).ok_or("no pg-test")?.haproxy;
        if h.probes.is_empty() {
            return Err(format!("no service probe answered: {:?}", h.probe_errors));
        }
        Ok(())
    });
    watch(lab, &[("PGSSLMODE", "verify-full")], "verify-full", |m| {
        all_tls(m, &names)?;
        transport(m, &["sslmode=verify-full", "host name verified"])
    });

    // Plain TCP: pg_hba's hostssl lines do not match; named as a login
    // refusal by SQLSTATE, with the sslmode that caused it.
    watch(lab, &[("PGSSLMODE", "disable")], "sslmode=disable", |m| {
        all_failed(
            m,
            &names,
            &["SQLSTATE 28000", "sslmode=disable (from PGSSLMODE)"],
        )?;
        match m.source(SourceId::Sql).auth_failed {
            true => Ok(()),
            false => Err("the SQL source is not marked auth_failed".into()),
        }
    });

    // A CA that did not sign the servers: refused in every TLS mode.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other-ca.crt");
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=not the lab CA", "-keyout"])
        .arg(dir.path().join("other-ca.key"))
        .arg("-out")
        .arg(&other)
        .output()
        .expect("run openssl");
    assert!(
        made.status.success(),
        "{}",
        crate::common::output_text(&made)
    );
    let other = other.to_str().unwrap();
    for mode in ["prefer", "verify-ca"] {
        watch(
            lab,
            &[("PGSSLMODE", mode), ("PGSSLROOTCERT", other)],
            &format!("{mode} with a foreign CA"),
            |m| {
                all_failed(
                    m,
                    &names,
                    &["SQL TLS to", "is not signed by", other, "PGSSLROOTCERT"],
                )
            },
        );
    }

    // A CA file that is not there: said once per member, never a hang.
    watch(
        lab,
        &[("PGSSLROOTCERT", "/nonexistent/ca.crt")],
        "a missing CA file",
        |m| all_failed(m, &names, &["cannot read CA file /nonexistent/ca.crt"]),
    );

    // `dsn` carries the same TLS settings, and psql verifies with them.
    let dsn = std::process::Command::new(crate::common::bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["dsn", CLUSTER])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_SQL_USER", &lab.info.superuser)
        .env("PGSSLMODE", "verify-full")
        .output()
        .expect("run pgtui dsn");
    let dsn_text = String::from_utf8_lossy(&dsn.stdout).trim().to_string();
    assert!(
        dsn.status.success()
            && dsn_text.ends_with(&format!(" sslmode=verify-full sslrootcert={ca}")),
        "{}",
        crate::common::output_text(&dsn)
    );
    let psql = std::process::Command::new("psql")
        .args([&format!(
            "{dsn_text} user={} dbname=postgres",
            lab.info.superuser
        )])
        .args([
            "-XAtc",
            "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ])
        .env("PGPASSWORD", &lab.info.superuser_password)
        .env("PGCONNECT_TIMEOUT", "5")
        .env_remove("PGSSLMODE")
        .output()
        .expect("run psql");
    assert!(
        psql.status.success() && String::from_utf8_lossy(&psql.stdout).starts_with("TLSv1."),
        "psql with {dsn_text}: {}",
        crate::common::output_text(&psql)
    );
}
