//! Configuration: patroni.yml import, precedence (flags > env > file >
//! defaults), and bad files giving errors that name the file and line.

use pgtui::config::{resolve, ConfigError, Inputs};
use std::collections::HashMap;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn no_env() -> impl Fn(&str) -> Option<String> {
    env_of(&[])
}

/// Inputs that never pick up files from the machine's home directory.
fn inputs() -> Inputs {
    Inputs {
        settings_file: Some(fixture("empty.toml")),
        ..Default::default()
    }
}

fn setup() {
    std::fs::write(fixture("empty.toml"), "").unwrap();
}

#[test]
fn a_pigsty_patroni_yml_is_read_as_patronictl_reads_it() {
    setup();
    let c = resolve(
        &Inputs {
            config_file: Some(fixture("pigsty-patroni.yml")),
            ..inputs()
        },
        &no_env(),
    )
    .unwrap();
    assert_eq!(c.namespace, "/pg/");
    assert_eq!(c.cluster.as_deref(), Some("pg-test"));
    assert_eq!(
        c.etcd.endpoints,
        [
            "http://127.0.0.1:2379",
            "http://127.0.0.1:22379",
            "http://127.0.0.1:32379"
        ]
    );
    assert_eq!(c.etcd.username.as_deref(), Some("root"));
    assert_eq!(c.etcd.password.as_ref().unwrap().expose(), "Etcd.Root");
    // No ctl section: REST auth falls back to restapi.authentication.
    assert_eq!(c.rest.username.as_deref(), Some("postgres"));
    assert_eq!(c.rest.password.as_ref().unwrap().expose(), "Patroni.API");
    // SQL probes reuse the superuser of the same file.
    let sql = c.sql.as_ref().unwrap();
    assert_eq!(sql.user, "dbuser_dba");
    assert_eq!(c.local_rest_url.as_deref(), Some("http://127.0.0.11:8008"));
}

#[test]
fn secrets_never_show_in_debug_output() {
    setup();
    let c = resolve(
        &Inputs {
            config_file: Some(fixture("pigsty-patroni.yml")),
            ..inputs()
        },
        &no_env(),
    )
    .unwrap();
    let dump = format!("{c:?}");
    for secret in ["Etcd.Root", "Patroni.API", "DBUser.DBA"] {
        assert!(!dump.contains(secret), "{secret} leaked into {dump}");
    }
    assert!(dump.contains("***"));
}

#[test]
fn hosts_as_a_yaml_list_and_ctl_auth_with_a_numeric_password() {
    setup();
    let c = resolve(
        &Inputs {
            config_file: Some(fixture("patronictl-list-hosts.yaml")),
            ..inputs()
        },
        &no_env(),
    )
    .unwrap();
    assert_eq!(
        c.etcd.endpoints,
        ["http://10.0.0.1:2379", "http://10.0.0.2:2379"]
    );
    assert_eq!(c.namespace, "/service/");
    assert_eq!(c.cluster, None);
    assert_eq!(c.rest.username.as_deref(), Some("ctl-user"));
    assert_eq!(c.rest.password.as_ref().unwrap().expose(), "12345");
    assert!(c.rest.insecure, "ctl.insecure");
}

#[test]
fn precedence_is_flags_then_env_then_file_then_defaults() {
    setup();
    let file = Some(fixture("pigsty-patroni.yml"));
    // File only.
    let c = resolve(
        &Inputs {
            config_file: file.clone(),
            ..inputs()
        },
        &no_env(),
    )
    .unwrap();
    assert_eq!(
        (c.namespace.as_str(), c.cluster.as_deref()),
        ("/pg/", Some("pg-test"))
    );
    // Env over file.
    let env = env_of(&[
        ("PATRONI_NAMESPACE", "envns"),
        ("PATRONI_SCOPE", "pg-env"),
        ("PATRONI_ETCD3_HOSTS", "127.0.0.5:2379"),
    ]);
    let c = resolve(
        &Inputs {
            config_file: file.clone(),
            ..inputs()
        },
        &env,
    )
    .unwrap();
    assert_eq!(
        (c.namespace.as_str(), c.cluster.as_deref()),
        ("/envns/", Some("pg-env"))
    );
    assert_eq!(c.etcd.endpoints, ["http://127.0.0.5:2379"]);
    // Flags over env.
    let flags = Inputs {
        config_file: file,
        dcs_url: Some("etcd3://127.0.0.9:2379/flagns".into()),
        cluster: Some("pg-flag".into()),
        ..inputs()
    };
    let c = resolve(&flags, &env).unwrap();
    assert_eq!(
        (c.namespace.as_str(), c.cluster.as_deref()),
        ("/flagns/", Some("pg-flag"))
    );
    assert_eq!(c.etcd.endpoints, ["http://127.0.0.9:2379"]);
    // Defaults: Patroni's.
    let c = resolve(&inputs(), &no_env()).unwrap();
    assert_eq!(c.namespace, "/service/");
    assert_eq!(c.etcd.endpoints, ["http://127.0.0.1:2379"]);
    assert!(c.sql.is_none());
}

#[test]
fn settings_toml_layers_over_the_yaml() {
    let c = resolve(
        &Inputs {
            config_file: Some(fixture("pigsty-patroni.yml")),
            settings_file: Some(fixture("settings.toml")),
            ..Default::default()
        },
        &no_env(),
    )
    .unwrap();
    assert_eq!(c.theme.as_deref(), Some("high-contrast"));
    assert_eq!(c.rest.timeout.as_millis(), 1500);
    assert_eq!(
        c.sql.as_ref().unwrap().user,
        "monitor",
        "pgtui's own [sql] wins over the patroni superuser"
    );
    assert_eq!(
        c.haproxy["pg-test"].stats_urls,
        ["http://127.0.0.11:9101/stats;csv"]
    );
    // --theme beats the file.
    let c = resolve(
        &Inputs {
            settings_file: Some(fixture("settings.toml")),
            theme: Some("light".into()),
            ..Default::default()
        },
        &no_env(),
    )
    .unwrap();
    assert_eq!(c.theme.as_deref(), Some("light"));
}

#[test]
fn a_missing_explicit_file_is_a_hard_error_naming_it() {
    setup();
    let e = resolve(
        &Inputs {
            config_file: Some(fixture("nope.yml")),
            ..inputs()
        },
        &no_env(),
    )
    .unwrap_err();
    assert!(matches!(e, ConfigError::Unreadable { .. }));
    assert!(e.to_string().contains("nope.yml"), "{e}");
}

#[test]
fn malformed_yaml_names_the_file_and_line() {
    setup();
    let e = resolve(
        &Inputs {
            config_file: Some(fixture("malformed.yml")),
            ..inputs()
        },
        &no_env(),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("malformed.yml"), "{msg}");
    assert!(
        matches!(
            e,
            ConfigError::Malformed {
                line: Some(3..=5),
                ..
            }
        ),
        "{msg}"
    );
}

#[test]
fn malformed_toml_names_the_file_and_line() {
    for (file, line) in [("bad-settings.toml", 4), ("unknown-settings.toml", 2)] {
        let e = resolve(
            &Inputs {
                settings_file: Some(fixture(file)),
                ..Default::default()
            },
            &no_env(),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(file) && msg.contains(&format!("line {line}")),
            "{msg}"
        );
    }
}

#[test]
fn bad_values_are_rejected_clearly() {
    setup();
    for (url, needle) in [
        ("etcd://127.0.0.1:2379/pg", "v2 API"),
        ("etcd3://127.0.0.1/pg", "no port"),
    ] {
        let e = resolve(
            &Inputs {
                dcs_url: Some(url.into()),
                ..inputs()
            },
            &no_env(),
        )
        .unwrap_err();
        assert!(e.to_string().contains(needle), "{url}: {e}");
    }
    let e = resolve(&inputs(), &env_of(&[("PATRONI_ETCD3_PROTOCOL", "gopher")])).unwrap_err();
    assert!(e.to_string().contains("protocol"), "{e}");
}

#[test]
fn dcs_url_credentials_are_the_etcd_user_and_password() {
    setup();
    let with = |url: &str, env: &[(&str, &str)]| {
        resolve(
            &Inputs {
                config_file: Some(fixture("pigsty-patroni.yml")),
                dcs_url: Some(url.into()),
                ..inputs()
            },
            &env_of(env),
        )
    };
    let c = with("etcd3://dba:p%40ss:w@127.0.0.9:2379,127.0.0.8:2379/ns", &[]).unwrap();
    assert_eq!(c.etcd.username.as_deref(), Some("dba"));
    assert_eq!(c.etcd.password.as_ref().unwrap().expose(), "p@ss:w");
    assert_eq!(
        c.etcd.endpoints,
        ["http://127.0.0.9:2379", "http://127.0.0.8:2379"]
    );
    assert_eq!(c.namespace, "/ns/");
    // The URL's user wins over the environment's; a password left out of
    // the URL comes from there.
    let env = [
        ("PATRONI_ETCD3_USERNAME", "envuser"),
        ("PATRONI_ETCD3_PASSWORD", "envpw"),
    ];
    let c = with("etcd3://dba@127.0.0.9:2379/ns", &env).unwrap();
    assert_eq!(c.etcd.username.as_deref(), Some("dba"));
    assert_eq!(c.etcd.password.as_ref().unwrap().expose(), "envpw");
}

#[test]
fn credentials_in_other_addresses_are_refused_by_field() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    for (yml, field) in [
        (
            "etcd3:\n  url: https://root:S3CRET@10.0.0.1:2379\n",
            "etcd3.url",
        ),
        (
            "etcd3:\n  hosts: root:S3CRET@10.0.0.1:2379\n",
            "etcd3.hosts",
        ),
        ("etcd:\n  host: root:S3CRET@10.0.0.1:2379\n", "etcd.host"),
    ] {
        let p = dir.path().join("p.yml");
        std::fs::write(&p, yml).unwrap();
        let e = resolve(
            &Inputs {
                config_file: Some(p),
                ..inputs()
            },
            &no_env(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(field) && e.contains("credentials"), "{e}");
        assert!(!e.contains("S3CRET"), "{e}");
    }
    let e = resolve(
        &inputs(),
        &env_of(&[("PATRONI_ETCD3_HOSTS", "root:S3CRET@10.0.0.1:2379")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("PATRONI_ETCD3_HOSTS") && !e.contains("S3CRET"),
        "{e}"
    );
    let t = dir.path().join("s.toml");
    std::fs::write(
        &t,
        "[haproxy.pg-test]\nstats_urls = [\"http://admin:S3CRET@10.0.0.1:9101/stats;csv\"]\n",
    )
    .unwrap();
    let e = resolve(
        &Inputs {
            settings_file: Some(t),
            ..Default::default()
        },
        &no_env(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("haproxy.pg-test.stats_urls") && !e.contains("S3CRET"),
        "{e}"
    );
}

#[test]
fn a_password_in_the_wrong_shape_is_named_by_field_not_shown() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.yml");
    std::fs::write(&p, "restapi:\n  authentication: \"admin:S3CRET\"\n").unwrap();
    let e = resolve(
        &Inputs {
            config_file: Some(p),
            ..inputs()
        },
        &no_env(),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, ConfigError::Malformed { line: Some(2), .. }),
        "{msg}"
    );
    assert!(
        msg.contains("restapi.authentication")
            && msg.contains("expected a map with username and password, found a string"),
        "{msg}"
    );
    assert!(!msg.contains("S3CRET"), "{msg}");
    let t = dir.path().join("s.toml");
    std::fs::write(&t, "[sql]\nuser = \"m\"\nconnect_timeout_ms = \"S3CRET\"\n").unwrap();
    let msg = resolve(
        &Inputs {
            settings_file: Some(t),
            ..Default::default()
        },
        &no_env(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        msg.contains("line 3") && msg.contains("sql.connect_timeout_ms") && !msg.contains("S3CRET"),
        "{msg}"
    );
}
