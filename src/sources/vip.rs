//! The VIP source: each focused member's agent, `GET /v1/vip`, every two
//! seconds (a VIP that did not follow a switchover is an outage, and
//! vip-manager itself checks every second).
//!
//! Only the clusters in full view are asked: a fleet's VIPs would cost a
//! request per node every round. A failed request keeps the member's last
//! report and records why; `model::vip` then calls the VIP unknown rather
//! than judge it from an old answer.

use super::agent::{call, client};
use super::Scope;
use crate::config::AgentClientConfig;
use crate::model::source::Round;
use crate::model::vip::VipReport;
use crate::model::{ModelHandle, SourceId, Sourced};
use std::time::{Duration, SystemTime};

const EVERY: Duration = Duration::from_secs(2);

pub async fn run(cfg: AgentClientConfig, scope: Scope, model: ModelHandle) {
    let Ok(http) = client(&cfg) else {
        // The agent source says why the client cannot be built.
        return;
    };
    if cfg.token.is_none() {
        return;
    }
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let targets: Vec<(String, String, String)> = model.read(|m| {
            scope
                .picked(m, super::Lane::Full)
                .into_iter()
                .flat_map(|c| {
                    c.agents
                        .values()
                        .filter(|a| !a.url.is_empty())
                        .map(|a| (c.name.clone(), a.member.clone(), a.url.clone()))
                })
                .collect()
        });
        if targets.is_empty() {
            continue;
        }
        let answers = futures::future::join_all(targets.iter().map(|(_, _, url)| {
            call::<VipReport>(
                &http,
                &cfg,
                url,
                reqwest::Method::GET,
                "/v1/vip",
                None,
                cfg.timeout,
            )
        }))
        .await;
        let now = SystemTime::now();
        model.update(|m| {
            let mut round = Round::default();
            for ((cluster, member, _), r) in targets.into_iter().zip(answers) {
                let c = m.cluster_mut(&cluster);
                match r {
                    Ok(v) => {
                        round.answered();
                        c.vip_errors.remove(&member);
                        c.vip.insert(member, Sourced::new(v, SourceId::Vip, now));
                    }
                    Err(e) => {
                        round.failed(e.to_string(), e.is_auth());
                        c.vip_errors.insert(member, (now, e.to_string()));
                    }
                }
            }
            round.record(m.source_mut(SourceId::Vip), now);
        });
    }
}
