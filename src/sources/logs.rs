//! The logs source: the members' logs, from their node agents, while a
//! console screen or `pgtui logs` wants them (`Model::logs`).
//!
//! Logs are read only on demand: nothing is asked while `Model::logs` is
//! None. Each second it asks every wanted member's agent for what was
//! written since its last answer (`from=end`), the first time for a tail
//! or the lines since a time. A failed read keeps the lines already read
//! and records why beside them; an agent that answers again continues
//! from where it stopped, so nothing is read twice or skipped.

use super::agent::{call, client, AgentError};
use crate::config::AgentClientConfig;
use crate::model::logs::{LogChunk, LogQuery, LogSource, LogsWant};
use crate::model::{Model, ModelHandle};
use std::time::{Duration, SystemTime};

const EVERY: Duration = Duration::from_secs(1);

/// The path of a `GET /v1/logs/{source}` request.
pub fn path(source: LogSource, q: &LogQuery) -> String {
    let mut p = format!("/v1/logs/{}", source.name());
    let mut sep = '?';
    let mut add = |k: &str, v: String| {
        p.push(sep);
        sep = '&';
        p.push_str(k);
        p.push('=');
        p.push_str(
            &percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
    };
    if let Some(f) = &q.file {
        add("file", f.clone());
    }
    if let Some(t) = q.tail {
        add("tail", t.to_string());
    }
    if let Some(s) = q.since {
        add("since", s.to_string());
    }
    if let Some(f) = q.from {
        add("from", f.to_string());
    }
    if let Some(l) = q.level {
        add("level", l.name().to_string());
    }
    p
}

/// One read of one member's log.
struct Ask {
    member: String,
    source: LogSource,
    url: String,
    query: LogQuery,
}

/// What to ask this round for `want`, or why nothing can be asked.
fn plan(m: &Model) -> Option<(LogsWant, Result<Vec<Ask>, String>)> {
    let l = m.logs.as_ref()?;
    if !m.own_keys_read {
        // The agents' registrations are pgtui's own keys, not read yet.
        return None;
    }
    let want = l.want.clone();
    let Some(c) = m.clusters.get(&want.cluster) else {
        return Some((
            want.clone(),
            Err(format!("no cluster {} in etcd", want.cluster)),
        ));
    };
    let agents: Vec<_> = c
        .agents
        .values()
        .filter(|a| want.member.as_ref().is_none_or(|w| *w == a.member))
        .collect();
    if agents.is_empty() {
        let who = want.member.as_deref().unwrap_or(&want.cluster);
        let why = format!("no pgtui agent is registered for {who}; start `pgtui agent` beside Patroni on its nodes (the logs come from there)");
        return Some((want, Err(why)));
    }
    let mut asks = vec![];
    for a in agents {
        for &source in &want.sources {
            let end = l.tails.get(&(a.member.clone(), source)).and_then(|t| t.end);
            let query = match (end, want.since_ms) {
                (Some(from), _) => LogQuery {
                    from: Some(from),
                    ..Default::default()
                },
                (None, Some(since)) => LogQuery {
                    since: Some(since),
                    ..Default::default()
                },
                (None, None) => LogQuery {
                    tail: Some(want.tail),
                    ..Default::default()
                },
            };
            let query = LogQuery {
                level: want.level,
                ..query
            };
            asks.push(Ask {
                member: a.member.clone(),
                source,
                url: a.url.clone(),
                query,
            });
        }
    }
    Some((want, Ok(asks)))
}

/// Asks one agent for one read.
pub async fn fetch(
    http: &reqwest::Client,
    cfg: &AgentClientConfig,
    url: &str,
    source: LogSource,
    q: &LogQuery,
) -> Result<LogChunk, AgentError> {
    if url.is_empty() {
        return Err(AgentError::Unreachable {
            url: "(unreadable registration)".into(),
            reason: "the agent's etcd entry has no URL; restart that agent".into(),
        });
    }
    call(
        http,
        cfg,
        url,
        reqwest::Method::GET,
        &path(source, q),
        None,
        cfg.timeout,
    )
    .await
}

/// Runs until the session ends.
pub async fn run(cfg: AgentClientConfig, model: ModelHandle) {
    let http = client(&cfg);
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut changes = model.subscribe();
    loop {
        // A new want is asked at once, not at the next tick.
        tokio::select! {
            _ = tick.tick() => {}
            _ = changes.changed() => {
                if !model.read(|m| m.logs.as_ref().is_some_and(|l| l.tails.is_empty() && l.error.is_none())) {
                    continue;
                }
            }
        }
        let Some((want, asks)) = model.read(plan) else {
            continue;
        };
        let asks = match asks {
            Ok(a) => a,
            Err(why) => {
                record_error(&model, &want, why);
                continue;
            }
        };
        let http = match &http {
            Ok(h) => h,
            Err(e) => {
                record_error(&model, &want, e.to_string());
                continue;
            }
        };
        if cfg.token.is_none() {
            record_error(&model, &want, AgentError::NoToken.to_string());
            continue;
        }
        let cfg_ref = &cfg;
        let answers =
            futures::future::join_all(asks.iter().map(|a| async move {
                (a, fetch(http, cfg_ref, &a.url, a.source, &a.query).await)
            }))
            .await;
        let now = SystemTime::now();
        model.update(|m| {
            let Some(l) = m.logs.as_mut().filter(|l| l.want == want) else {
                return;
            };
            l.error = None;
            for (a, r) in answers {
                let tail = l.tails.entry((a.member.clone(), a.source)).or_default();
                match r {
                    Ok(chunk) => tail.push(chunk, now),
                    Err(e) => tail.error = Some(e.to_string()),
                }
            }
        });
    }
}

fn record_error(model: &ModelHandle, want: &LogsWant, why: String) {
    let same = model.read(|m| {
        m.logs
            .as_ref()
            .is_some_and(|l| l.want == *want && l.error.as_deref() == Some(why.as_str()))
    });
    if !same {
        model.update(|m| {
            if let Some(l) = m.logs.as_mut().filter(|l| l.want == *want) {
                l.error = Some(why);
            }
        });
    }
}
