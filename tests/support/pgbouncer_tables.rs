//! The recorded pgbouncer admin console answers
//! (`tests/fixtures/pgbouncer/show-*.csv`) as the source reads them.
#![allow(dead_code)]

use pgtui::model::pgbouncer::{Pgbouncer, Table};

pub fn table(name: &str) -> Table {
    let path = format!(
        "{}/tests/fixtures/pgbouncer/show-{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut r = csv::Reader::from_path(&path).unwrap();
    let columns = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(|v| Some(v.to_string())).collect())
        .collect();
    Table { columns, rows }
}

/// The recording: `pgtui_sat` saturated, one client waiting 2.99 s.
pub fn recorded() -> Pgbouncer {
    Pgbouncer::from_tables(
        &table("pools"),
        &table("databases"),
        &table("clients"),
        &table("servers"),
        &table("config"),
        &table("version"),
    )
}
