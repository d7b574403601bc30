//! Turning etcd authentication on in a hardened lab, the way teams do it.
//!
//! A cluster where anyone on the network may rewrite the leader key is not
//! what security-minded teams run: they create `root`, give Patroni a role
//! that may only touch its namespace, and enable auth. pgtui must cope with
//! exactly that (a user that can read `/service/` and nothing else), so the
//! lab does the same, after etcd is healthy and before any Patroni starts:
//!
//! 1. `user add root` (random password) and `user grant-role root root`;
//! 2. `role add patroni` and `role grant-permission patroni --prefix=true
//!    readwrite /service/`;
//! 3. `user add patroni` (random password) and `user grant-role patroni patroni`;
//! 4. `auth enable`.
//!
//! Each step is one `etcdctl` (v3 API, CA-verified https, `--user root:PW`,
//! which etcd ignores until auth is on) run through the supervisor's task
//! runner, so a failure names the step and carries `LAB/log/etcd-auth.log`.

use super::error::LabError;
use super::prereq::ETCDCTL;
use super::proc::Supervisor;
use super::secrets::Secrets;
use super::spec::Layout;

const COMPONENT: &str = "etcd auth";

/// `etcdctl` arguments common to every call: endpoints, CA, root login.
pub(crate) fn base_args(layout: &Layout, s: &Secrets) -> Vec<String> {
    let mut v = vec![format!("--endpoints={}", layout.etcd_urls().join(","))];
    if let Some(ca) = layout.ca_file() {
        v.push(format!("--cacert={}", ca.display()));
    }
    v.push(format!(
        "--user={}:{}",
        s.etcd_root_user, s.etcd_root_password
    ));
    v
}

/// Creates the users and the role, then enables auth (hardened labs only).
pub(crate) async fn enable(sup: &Supervisor, layout: &Layout, s: &Secrets) -> Result<(), LabError> {
    let ns = layout.namespace();
    let (root, user) = (&s.etcd_root_user, &s.etcd_user);
    let root_pw = format!("{root}:{}", s.etcd_root_password);
    let user_pw = format!("{user}:{}", s.etcd_password);
    let steps: [&[&str]; 7] = [
        &["user", "add", &root_pw],
        &["user", "grant-role", root, "root"],
        &["role", "add", "patroni"],
        &[
            "role",
            "grant-permission",
            "patroni",
            "--prefix=true",
            "readwrite",
            ns,
        ],
        &["user", "add", &user_pw],
        &["user", "grant-role", user, "patroni"],
        &["auth", "enable"],
    ];
    let env = [("ETCDCTL_API".to_string(), "3".to_string())];
    let log = layout.log_file(COMPONENT);
    for step in steps {
        let mut args = base_args(layout, s);
        args.extend(step.iter().map(|a| a.to_string()));
        sup.run_task(COMPONENT, ETCDCTL.as_ref(), &args, &env, &log)
            .await?;
    }
    Ok(())
}
