//! Running an operation: linearizable read, preflight, audit, one request,
//! then following the cluster to a verified end state (or UNKNOWN).

use super::audit::{self, Basis, Phase, Record};
use super::context::Ctx;
use super::preflight::{changes, expectation, preflight, Expected, Preflight};
use super::request::{patronictl_equivalent, request_for};
use super::rest_call::{explain, send, Reply, Request};
use super::verify::{follow, follow_bound};
use super::{Operation, Outcome};
use crate::dcs::parse_key;
use crate::model::view::cluster_view;
use crate::model::{ClusterState, SourceId};
use crate::sources::{etcd, rest};
use serde::Serialize;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The same request as `curl` (password elided), when there is one.
    pub curl: Option<String>,
    pub id: String,
    pub operation: Operation,
    pub outcome: Outcome,
    pub message: String,
    pub preflight: Preflight,
    pub request: Option<Request>,
    pub patronictl: String,
    pub before: Basis,
    /// The state the decision rests on; pass it back as [`Options::expect`]
    /// so acting later refuses if the cluster changed in between.
    pub expected: Expected,
    pub after: Option<Basis>,
    pub elapsed_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("cannot read cluster {cluster} from etcd before acting: {source}; nothing was sent")]
    Etcd {
        cluster: String,
        source: crate::dcs::EtcdError,
    },
    #[error("cannot read cluster {cluster} before acting: {reason}; nothing was sent")]
    Read { cluster: String, reason: String },
    #[error("cannot write the audit log {path}: {reason}; nothing was sent")]
    Audit { path: String, reason: String },
}

/// A linearizable read of the cluster's keys, with the live REST/SQL data
/// the session already has.
pub async fn fresh_state(cx: &Ctx<'_>, cluster: &str) -> Result<(ClusterState, i64), OpError> {
    let prefix = format!("{}{cluster}/", cx.config.namespace);
    let ((rev, kvs), _) = etcd::list(cx.etcd, &prefix, None)
        .await
        .map_err(|e| OpError::Etcd {
            cluster: cluster.into(),
            source: e,
        })?;
    // Positions for lag come from a REST round made now, so the preflight
    // judges the candidate's lag as it is, not as of the last poll.
    let scope = crate::sources::Scope::only(vec![cluster.to_string()]);
    if let Ok(http) = rest::client(&cx.config.rest) {
        let lane = crate::sources::Lane::Full;
        rest::poll_once(&http, &cx.config.rest, &scope, lane, cx.model).await;
    }
    let mut c = cx
        .model
        .read(|m| m.clusters.get(cluster).map(|c| (**c).clone()))
        .unwrap_or_else(|| ClusterState::new(cluster));
    let ns = &cx.config.namespace;
    let keys = kvs
        .iter()
        .filter_map(|(k, v, mr)| parse_key(ns, k).map(|p| (p.kind, v.as_slice(), *mr)));
    c.dcs.reload(keys, SourceId::Etcd, SystemTime::now());
    Ok((c, rev))
}

pub(crate) fn basis(c: &ClusterState, revision: i64) -> Basis {
    let v = cluster_view(c);
    Basis {
        revision,
        leader: v.leader,
        timeline: v.timeline,
        paused: v.paused,
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dry_run: bool,
    /// What the user confirmed against (a dialog, a prompt); a cluster that
    /// no longer matches it on the linearizable read refuses the operation.
    pub expect: Option<Expected>,
    /// Act without the operation lock (`--no-lock`, acknowledged): for a
    /// credential that may not write pgtui's keys.
    pub no_lock: bool,
}

/// Runs one operation to its end. Progress lines go to `progress`.
pub async fn run<'a>(
    op: Operation,
    cx: impl Into<Ctx<'a>>,
    opts: Options,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Report, OpError> {
    let cx = &cx.into();
    let started = Instant::now();
    let id = format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    let (state, revision) = fresh_state(cx, op.cluster()).await?;
    let before = basis(&state, revision);
    let pf = preflight(&op, &state, SystemTime::now());
    let by_hand = super::rest_call::ByHand::from_config(cx.config);
    let patronictl = patronictl_equivalent(&op, &by_hand);
    let mut report = Report {
        curl: None,
        id: id.clone(),
        operation: op.clone(),
        outcome: Outcome::Refused,
        message: String::new(),
        preflight: pf.clone(),
        request: None,
        patronictl,
        before: before.clone(),
        expected: expectation(&op, &state),
        after: None,
        elapsed_ms: 0,
    };
    let (user, host) = audit::whoami();
    let record = |phase: Phase,
                  outcome: Option<Outcome>,
                  message: Option<&str>,
                  result: Option<&Basis>|
     -> Result<(), OpError> {
        let rec = Record {
            id: &id,
            phase,
            at: audit::now_rfc3339(),
            user: user.clone(),
            host: host.clone(),
            cluster: op.cluster(),
            operation: &op,
            basis: &before,
            outcome,
            message,
            result,
        };
        audit::append(&cx.config.audit_log, &rec).map_err(|e| OpError::Audit {
            path: cx.config.audit_log.display().to_string(),
            reason: e.to_string(),
        })
    };
    // Every refusal is recorded and ends here; nothing has been sent.
    let refuse = |mut report: Report, why: String| -> Result<Report, OpError> {
        report.message = format!("refused: {why}");
        record(
            Phase::Refused,
            Some(Outcome::Refused),
            Some(&report.message),
            None,
        )?;
        Ok(finish(report, started))
    };
    if let (false, Some(why)) = (opts.dry_run, cx.config.read_only.reason(op.cluster())) {
        return refuse(report, format!("{why}; nothing was sent"));
    }
    if let Some(seen) = &opts.expect {
        let changed = changes(seen, &report.expected);
        if !changed.is_empty() {
            return refuse(
                report,
                format!(
                    "the cluster changed since you confirmed: {}; look again and decide anew",
                    changed.join("; ")
                ),
            );
        }
    }
    if pf.refused() {
        let why = pf.why();
        return refuse(report, why);
    }
    let req = match request_for(&op, &state) {
        Ok(r) => r,
        Err(e) => {
            return refuse(report, e.to_string());
        }
    };
    report.curl = Some(if op.is_agent_job() {
        super::agent_job::as_curl(&req, &cx.config.agent)
    } else {
        req.as_curl(&by_hand)
    });
    report.request = Some(req.clone());
    if opts.dry_run {
        report.outcome = Outcome::DryRun;
        report.message = "dry run: nothing was sent".into();
        return Ok(finish(report, started));
    }
    if op.is_agent_job() {
        // The agent takes the operation lock itself and holds it for the
        // job's whole length, which may outlive this pgtui.
        record(Phase::Started, None, None, None)?;
        progress(&format!("{} {}", req.method, req.url));
        // Each step of the job lands in the audit log as it is seen.
        let mut audited = |line: &str| {
            if line.starts_with("step ") {
                if let Err(e) = record(Phase::Step, None, Some(line), None) {
                    progress(&format!("warning: {e}"));
                }
            }
            progress(line);
        };
        let (outcome, message) = super::agent_job::start_and_follow(
            cx,
            &req,
            op.cluster(),
            &id,
            &format!("{user}@{host}"),
            &mut audited,
        )
        .await;
        let after = fresh_state(cx, op.cluster())
            .await
            .ok()
            .map(|(c, r)| basis(&c, r));
        report.outcome = outcome;
        report.message = message;
        report.after = after.clone();
        record(
            Phase::Finished,
            Some(outcome),
            Some(&report.message),
            after.as_ref(),
        )?;
        return Ok(finish(report, started));
    }
    let holder = super::lock::Holder {
        user: user.clone(),
        host: host.clone(),
        operation: op.name().to_string(),
        id: id.clone(),
        since: audit::now_rfc3339(),
    };
    let lock = if opts.no_lock {
        progress(
            "no operation lock (--no-lock): nothing stops another pgtui acting on this cluster now",
        );
        None
    } else {
        match super::lock::acquire(cx.etcd, &cx.config.pgtui_prefix, op.cluster(), &holder).await {
            Ok(l) => Some(l),
            Err(e) => {
                return refuse(report, e.to_string());
            }
        }
    };
    record(Phase::Started, None, None, None)?;
    progress(&format!(
        "{} {} {}",
        req.method,
        req.url,
        req.body.as_ref().map(|b| b.to_string()).unwrap_or_default()
    ));
    let http = rest::client(&long_timeout(&cx.config.rest)).map_err(|e| OpError::Read {
        cluster: op.cluster().into(),
        reason: e.to_string(),
    })?;
    let reply = send(&http, &cx.config.rest, &req).await;
    let (outcome, message) = match &reply {
        Reply::NotSent { reason } => (
            Outcome::Rejected,
            format!(
                "could not reach Patroni at {}: {reason}; nothing happened",
                req.url
            ),
        ),
        Reply::Answered { status, body } if (200..300).contains(status) => {
            progress(&format!("Patroni: {}", explain(*status, body)));
            if *status == 202
                && matches!(
                    op,
                    Operation::Switchover {
                        scheduled_at: Some(_),
                        ..
                    } | Operation::Restart {
                        scheduled_at: Some(_),
                        ..
                    }
                )
            {
                follow(
                    &op,
                    &state,
                    cx,
                    Duration::from_secs(15),
                    progress,
                    Outcome::Scheduled,
                )
                .await
            } else {
                follow(
                    &op,
                    &state,
                    cx,
                    follow_bound(&op, &state),
                    progress,
                    Outcome::Verified,
                )
                .await
            }
        }
        Reply::Answered { status: 503, body } if body.to_lowercase().contains("unknown") => {
            progress("Patroni does not know the outcome; following the cluster");
            reconcile(&op, &state, cx, progress, explain(503, body)).await
        }
        Reply::Answered { status, body } => (
            Outcome::Rejected,
            format!("Patroni rejected it: {}", explain(*status, body)),
        ),
        Reply::TimedOut { after_ms } => {
            progress("no answer in time; following the cluster (the request is not resent)");
            reconcile(
                &op,
                &state,
                cx,
                progress,
                format!("no answer after {after_ms} ms"),
            )
            .await
        }
    };
    let after = fresh_state(cx, op.cluster())
        .await
        .ok()
        .map(|(c, r)| basis(&c, r));
    if let Some(l) = lock {
        l.release().await;
    }
    report.outcome = outcome;
    report.message = message;
    report.after = after.clone();
    record(
        Phase::Finished,
        Some(outcome),
        Some(&report.message),
        after.as_ref(),
    )?;
    Ok(finish(report, started))
}

/// After an undecided reply: watch up to the bound; what is not verified
/// by then is UNKNOWN, never resent.
async fn reconcile(
    op: &Operation,
    state: &ClusterState,
    cx: &Ctx<'_>,
    progress: &mut (dyn FnMut(&str) + Send),
    why: String,
) -> (Outcome, String) {
    match follow(
        op,
        state,
        cx,
        follow_bound(op, state),
        progress,
        Outcome::Verified,
    )
    .await
    {
        (Outcome::Verified, m) => (Outcome::Verified, m),
        (_, m) => (Outcome::Unknown, format!("{why}; {m}")),
    }
}

fn finish(mut r: Report, started: Instant) -> Report {
    r.elapsed_ms = started.elapsed().as_millis() as u64;
    r
}

/// A REST config with a timeout long enough for Patroni's synchronous
/// endpoints (a switchover answers when it is done, up to ~30 s).
fn long_timeout(cfg: &crate::config::RestConfig) -> crate::config::RestConfig {
    crate::config::RestConfig {
        timeout: cfg.timeout.max(Duration::from_secs(60)),
        ..cfg.clone()
    }
}
