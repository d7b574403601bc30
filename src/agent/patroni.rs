//! The agent's calls to Patroni's REST API, for a restore: the local
//! member's `/patroni` and `/cluster`, `PATCH /config`, and the replicas'
//! `/reinitialize`. Writes carry the REST credentials of the node's
//! patroni.yml through the ops layer's one sender; reads carry none.

use super::settings::AgentSettings;
use crate::config::Config;
use crate::ops::rest_call::{send, Method, Reply, Request};
use serde_json::Value;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

/// The local Patroni's REST API and what it takes to talk to it.
pub struct Local {
    pub config: Config,
    pub http: reqwest::Client,
    pub url: String,
}

impl Local {
    pub fn new(s: &AgentSettings) -> Result<Local, String> {
        let config = s.pgtui.clone()?;
        let url = config
            .local_rest_url
            .clone()
            .ok_or("patroni.yml names no restapi.connect_address")?;
        let http = crate::sources::rest::client(&config.rest).map_err(|e| e.to_string())?;
        Ok(Local { config, http, url })
    }

    pub async fn get(&self, base: &str, path: &str) -> Result<Value, String> {
        crate::sources::rest::get_json(&self.http, TIMEOUT, base, path)
            .await
            .map_err(|e| e.to_string())
    }

    /// `/cluster` of the local member: members with name, role, state,
    /// api_url, timeline.
    pub async fn members(&self) -> Result<Vec<Value>, String> {
        let v = self.get(&self.url, "/cluster").await?;
        Ok(v["members"].as_array().cloned().unwrap_or_default())
    }

    /// A write; `Ok(body)` for a 2xx answer, else what went wrong.
    pub async fn write(&self, method: Method, url: String, body: Value) -> Result<String, String> {
        let req = Request {
            method,
            url: url.clone(),
            body: Some(body),
        };
        match send(&self.http, &self.config.rest, &req).await {
            Reply::Answered { status, body } if (200..300).contains(&status) => Ok(body),
            Reply::Answered { status, body } => Err(format!(
                "{method} {url}: {}",
                crate::ops::rest_call::explain(status, body.trim())
            )),
            Reply::TimedOut { after_ms } => {
                Err(format!("{method} {url}: no answer after {after_ms} ms"))
            }
            Reply::NotSent { reason } => Err(format!("{method} {url}: not sent: {reason}")),
        }
    }

    /// `PATCH /config {"pause": on}`, then waits until every member says it.
    pub async fn set_pause(&self, on: bool, bound: Duration) -> Result<String, String> {
        self.write(
            Method::Patch,
            format!("{}/config", self.url),
            serde_json::json!({ "pause": on }),
        )
        .await?;
        let t0 = std::time::Instant::now();
        loop {
            let members = self.members().await?;
            let mut not_yet = vec![];
            for m in &members {
                let name = m["name"].as_str().unwrap_or("?");
                let said = match m["api_url"].as_str() {
                    Some(u) => self
                        .get(&crate::sources::rest::base_url(u), "/patroni")
                        .await
                        .map(|p| p["pause"].as_bool().unwrap_or(false)),
                    None => Err("no api_url".into()),
                };
                if said.as_ref().ok() != Some(&on) {
                    not_yet.push(format!(
                        "{name} ({})",
                        said.map(|p| format!("pause {p}")).unwrap_or_else(|e| e)
                    ));
                }
            }
            if not_yet.is_empty() {
                return Ok(format!("{} member(s) report pause {on}", members.len()));
            }
            if t0.elapsed() > bound {
                return Err(format!(
                    "after {} s, not every member reports pause {on}: {}",
                    bound.as_secs(),
                    not_yet.join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Whether the local REST API answers at all.
    pub async fn answers(&self) -> bool {
        self.get(&self.url, "/patroni").await.is_ok()
    }
}

/// A member's timeline and whether it replicates (`streaming`, or
/// `running` on Patroni 3.0, which has no `streaming` state).
pub fn replicates_on(m: &Value, timeline: i64) -> bool {
    m["timeline"].as_i64() == Some(timeline)
        && matches!(m["state"].as_str(), Some("streaming" | "running"))
        && m["role"].as_str().is_some_and(|r| r != "leader")
}
