//! What the UI points at: the open cluster, the rows each table shows
//! through the filter, the member under the cursor. The key handling (UI
//! state) and the views both need these, so they live here rather than in
//! the views: the views only draw, and UI state never calls into them.

use super::screen::Screen;
use super::ui::Ui;
use crate::model::events::Event;
use crate::model::logs::MergedLine;
use crate::model::view::{cluster_view, ClusterView, MemberView};
use crate::model::{ClusterState, Model};

/// The open cluster, once the DCS has shown it.
pub fn cluster<'m>(model: &'m Model, ui: &Ui) -> Option<&'m ClusterState> {
    model
        .clusters
        .get(ui.cluster.as_deref()?)
        .map(|c| &**c)
        .filter(|c| !c.dcs.is_empty())
}

pub fn selected_view(model: &Model, ui: &Ui) -> Option<ClusterView> {
    cluster(model, ui).map(cluster_view)
}

/// The member under the cursor on the cluster screen.
pub fn selected_member(model: &Model, ui: &Ui) -> Option<String> {
    if ui.screen != Screen::Cluster {
        return None;
    }
    let v = selected_view(model, ui)?;
    let name = filtered_members(&v, &ui.filter)
        .get(ui.selected)
        .map(|m| m.name.clone());
    name
}

pub fn filtered_members<'v>(v: &'v ClusterView, filter: &str) -> Vec<&'v MemberView> {
    let f = filter.to_lowercase();
    v.members
        .iter()
        .filter(|m| {
            f.is_empty()
                || m.name.to_lowercase().contains(&f)
                || m.role.as_str().contains(&f)
                || m.state.as_str().contains(&f)
        })
        .collect()
}

/// The events screen's rows, newest first: the open cluster's and the
/// namespace's, through the filter.
pub fn visible_events<'m>(model: &'m Model, ui: &Ui) -> Vec<&'m Event> {
    let f = ui.filter.to_lowercase();
    model
        .events
        .iter()
        .rev()
        .filter(|e| ui.cluster.is_none() || e.cluster.is_none() || e.cluster == ui.cluster)
        .filter(|e| f.is_empty() || e.message.to_lowercase().contains(&f))
        .collect()
}

/// The logs screen's lines: the ones read for what it shows now, on one
/// time axis, through the level and the `/` filter (any case).
pub fn visible_log_lines<'m>(model: &'m Model, ui: &Ui) -> Vec<MergedLine<'m>> {
    let Some(l) = model.logs.as_ref() else {
        return vec![];
    };
    let Some(cluster) = ui.cluster.as_deref() else {
        return vec![];
    };
    if l.want != ui.logs.want(cluster) {
        return vec![];
    }
    let f = ui.filter.to_lowercase();
    l.merged()
        .into_iter()
        .filter(|x| {
            ui.logs
                .level
                .is_none_or(|min| x.line.level.is_none_or(|lv| lv >= min))
        })
        .filter(|x| f.is_empty() || x.line.text.to_lowercase().contains(&f))
        .collect()
}

/// Where the cursor goes when logs opened at an event have been read: the
/// first line at or after it (else the last), or None while they are read.
pub fn log_anchor_row(model: &Model, ui: &Ui) -> Option<usize> {
    let at = ui.logs.anchor_ms?;
    let l = model.logs.as_ref()?;
    if !l.settled(1) {
        return None;
    }
    let lines = visible_log_lines(model, ui);
    Some(
        lines
            .iter()
            .position(|x| x.line.ts_ms.is_some_and(|t| t >= at))
            .unwrap_or(lines.len().saturating_sub(1)),
    )
}

/// How many rows the focused table of the current screen has (for
/// navigation bounds).
pub fn rows(model: &Model, ui: &Ui) -> usize {
    match ui.screen {
        Screen::Fleet => ui.fleet.rows.len(),
        Screen::Cluster => selected_view(model, ui)
            .map(|v| filtered_members(&v, &ui.filter).len())
            .unwrap_or(0),
        Screen::Timeline => cluster(model, ui)
            .and_then(|c| c.dcs.history.as_ref()?.value.ok().map(Vec::len))
            .unwrap_or(0),
        Screen::Events => visible_events(model, ui).len(),
        Screen::Logs => visible_log_lines(model, ui).len(),
        _ => 0,
    }
}
