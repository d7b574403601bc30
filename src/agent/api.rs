//! The agent's versioned HTTP API (documented in the README, "Node agent").
//!
//! Answers are JSON. A node without pgBackRest answers `configured: false`
//! with the reason, not an error: it is a state a console shows plainly.
//! A failing pgBackRest or PostgreSQL is 502 with the failure's words.

use super::pgbackrest::{self, RunError};
use super::settings::AgentSettings;
use crate::model::backup::report::BackupReport;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

/// What every handler may use: the settings and the jobs.
#[derive(Clone)]
pub struct AgentState {
    pub settings: Arc<AgentSettings>,
    pub jobs: Arc<super::jobs::Jobs>,
}

impl axum::extract::FromRef<AgentState> for Arc<AgentSettings> {
    fn from_ref(s: &AgentState) -> Self {
        s.settings.clone()
    }
}

pub fn router(state: AgentState) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/backups", get(backups))
        .route("/v1/archiver", get(archiver))
        .route("/v1/check", post(check))
        .route("/v1/jobs", get(list_jobs).post(start_job))
        .route("/v1/jobs/:id", get(get_job))
        .route("/v1/vip", get(vip))
        .route("/v1/logs", get(list_logs))
        .route("/v1/logs/:source", get(read_log))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({"error": "no such endpoint; see GET /v1/status"})),
            )
        })
        .with_state(state)
}

async fn list_jobs(State(s): State<AgentState>) -> Json<Value> {
    Json(json!({ "jobs": s.jobs.all() }))
}

async fn get_job(
    State(s): State<AgentState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    match s.jobs.get(&id) {
        Some(j) => Json(j).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no job {} on this agent", crate::text::escape(&id))})),
        )
            .into_response(),
    }
}

async fn start_job(
    State(s): State<AgentState>,
    body: Result<Json<super::jobs::JobRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("not a job request: {}", crate::text::escape(&e.body_text()))})),
            )
                .into_response()
        }
    };
    use super::jobs::StartError;
    match s.jobs.start(req).await {
        Ok(job) => (StatusCode::ACCEPTED, Json(job)).into_response(),
        Err(e) => {
            let code = match e {
                StartError::NotConfigured(_) => StatusCode::BAD_REQUEST,
                StartError::Refused(_) | StartError::Duplicate(_) => StatusCode::CONFLICT,
            };
            (code, Json(json!({"error": e.to_string()}))).into_response()
        }
    }
}

async fn vip(State(s): State<Arc<AgentSettings>>) -> Response {
    let (vm, ka) = s.vip_configs.clone();
    match tokio::task::spawn_blocking(move || super::vip::report(&vm, &ka)).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": format!("reading the VIP failed: {e}")})),
        )
            .into_response(),
    }
}

async fn list_logs(State(s): State<Arc<AgentSettings>>) -> Response {
    match tokio::task::spawn_blocking(move || super::logs::list(&s)).await {
        Ok(l) => Json(json!({ "sources": l })).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": format!("listing logs failed: {e}")})),
        )
            .into_response(),
    }
}

async fn read_log(
    State(s): State<Arc<AgentSettings>>,
    axum::extract::Path(source): axum::extract::Path<String>,
    query: Result<
        axum::extract::Query<crate::model::logs::LogQuery>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Response {
    let refuse =
        |code: StatusCode, msg: String| (code, Json(json!({ "error": msg }))).into_response();
    let Some(source) = crate::model::logs::LogSource::parse(&source) else {
        return refuse(
            StatusCode::NOT_FOUND,
            format!(
                "no log source {}; the sources are patroni, postgres and pgbackrest",
                crate::text::escape(&source)
            ),
        );
    };
    let q = match query {
        Ok(q) => q.0,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "bad query: {} (file=NAME, tail=N, since=UTC_MS, from=OFFSET)",
                    crate::text::escape(&e.body_text())
                ),
            )
        }
    };
    match tokio::task::spawn_blocking(move || super::logs::read(&s, source, &q)).await {
        Ok(Ok(chunk)) => Json(chunk).into_response(),
        Ok(Err(e)) => refuse(
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            crate::text::escape(&e.to_string()).into_owned(),
        ),
        Err(e) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reading the log failed: {e}"),
        ),
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn failure(e: RunError) -> Response {
    let code = match e {
        RunError::NotConfigured => StatusCode::OK,
        _ => StatusCode::BAD_GATEWAY,
    };
    let configured = !matches!(e, RunError::NotConfigured);
    (
        code,
        Json(json!({"configured": configured, "error": e.to_string()})),
    )
        .into_response()
}

async fn status(State(s): State<Arc<AgentSettings>>) -> Json<Value> {
    Json(json!({
        "api": super::API,
        "version": env!("CARGO_PKG_VERSION"),
        "member": s.member,
        "cluster": s.cluster,
        "stanza": s.stanza,
        "configured": s.stanza.is_some(),
        "pgbackrest_version": pgbackrest::version(&s).await,
    }))
}

async fn backups(State(s): State<Arc<AgentSettings>>) -> Response {
    // `info`, the archiver and the listing of every archived file run at
    // once: the listing covers the whole stanza's archive, and is narrowed
    // to the current archive id once `info` names it.
    let stanza_dir = format!("archive/{}", s.stanza.as_deref().unwrap_or(""));
    let ls_args = ["--output=json", "--recurse", "repo-ls", stanza_dir.as_str()];
    let (info, arch, listing) = tokio::join!(
        pgbackrest::run(&s, &["--output=json", "info"]),
        pgbackrest::archiver(&s),
        pgbackrest::run(&s, &ls_args),
    );
    let info = match info {
        Ok(o) => o,
        Err(e) => return failure(e),
    };
    let raw: Value = serde_json::from_slice(&info.stdout).unwrap_or(Value::Null);
    let mut r = BackupReport {
        configured: true,
        member: s.member.clone(),
        stanza: s.stanza.clone(),
        fetched_at: now(),
        ..Default::default()
    };
    match crate::model::backup::info::parse_info(&info.stdout) {
        Ok(v) => r.stanzas = Some(v),
        Err(e) => r.parse_error = Some(e.to_string()),
    }
    match arch {
        Ok((a, t, seg, db_size)) => {
            r.archiver = Some(a);
            r.archive_timeout = Some(t);
            r.wal_segment_size = Some(seg);
            r.database_size = db_size;
        }
        Err(e) => r.archiver_error = Some(e),
    }
    r.data_dir_free = s.data_dir.as_deref().and_then(pgbackrest::free_bytes);
    let archive_id = r
        .stanzas
        .as_ref()
        .and_then(|v| v.first())
        .and_then(|st| st.archives.last())
        .map(|a| a.id.clone());
    match (archive_id, listing) {
        (None, _) => r.wal_error = Some("no archive in the repo yet".to_string()),
        (Some(_), Err(e)) => r.wal_error = Some(e.to_string()),
        (Some(id), Ok(o)) => {
            match crate::model::backup::wal::parse_repo_ls_under(&o.stdout, &format!("{id}/")) {
                Ok(w) => r.wal = Some(w),
                Err(e) => r.wal_error = Some(e.to_string()),
            }
        }
    }
    let mut body = serde_json::to_value(&r).unwrap_or(Value::Null);
    body["raw"] = raw;
    Json(body).into_response()
}

async fn archiver(State(s): State<Arc<AgentSettings>>) -> Response {
    match pgbackrest::archiver(&s).await {
        Ok((a, t, seg, _)) => Json(json!({"archiver": a, "archive_timeout": t, "wal_segment_size": seg, "fetched_at": now()})).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({"error": e}))).into_response(),
    }
}

async fn check(State(s): State<Arc<AgentSettings>>) -> Response {
    let started = now();
    match pgbackrest::run(&s, &["--log-level-stderr=info", "check"]).await {
        Ok(o) => Json(json!({"ok": true, "started": started, "ended": now(), "output": o.stderr}))
            .into_response(),
        Err(e) => failure(e),
    }
}
