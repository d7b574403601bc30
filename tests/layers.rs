//! The one rule between layers, checked on the source tree: dcs, config and
//! the shared leaves (text, exit) at the bottom, then model, sources,
//! session, ops, and cli, tui and the lab tool on top. A module may use its
//! own layer and the ones below, never one above; tui never uses cli; only
//! `src/tui/` names ratatui or crossterm. A path in a comment (a doc link)
//! is not a dependency and is not counted.
//!
//! `a_planted_upward_import_is_caught` runs the same check over a planted
//! tree, so the check is known to fail when the rule is broken.

use std::path::{Path, PathBuf};

/// The layer of a top-level module; `None` for the crate roots.
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "dcs" | "config" | "text" | "exit" => 0,
        "model" => 1,
        "sources" => 2,
        "session" => 3,
        "ops" => 4,
        "cli" | "tui" | "lab" | "agent" => 5,
        _ => return None,
    })
}

/// `src/ops/execute.rs` → `ops`; `src/session.rs` → `session`.
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Code without comments: `//` to the end of a line (not inside a string
/// literal, which is rare enough in paths to ignore here).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let code = match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        };
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

/// Every top-level module named after `crate::` in a line, including each
/// member of a `use crate::{a, b::c}` group.
fn crate_refs(code: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            for part in inner.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
        rest = after;
    }
    out
}

/// The violations in a set of files (`path` relative to `src/`, text).
fn violations(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = vec![];
    for (rel, text) in files {
        let from = module_of(rel);
        let from_layer = layer(&from);
        for (line, code) in code_lines(text) {
            let at = format!("src/{}:{line}", rel.display());
            if from != "tui" && (code.contains("ratatui") || code.contains("crossterm")) {
                out.push(format!(
                    "{at}: {from} names a terminal UI crate: {}",
                    code.trim()
                ));
            }
            let Some(from_layer) = from_layer else {
                continue;
            };
            for to in crate_refs(code) {
                let Some(to_layer) = layer(&to) else { continue };
                if to_layer > from_layer {
                    out.push(format!(
                        "{at}: {from} (layer {from_layer}) uses {to} (layer {to_layer}): {}",
                        code.trim()
                    ));
                } else if from == "tui" && to == "cli" {
                    out.push(format!("{at}: tui uses cli: {}", code.trim()));
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, root, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            out.push((p.strip_prefix(root).unwrap().to_path_buf(), text));
        }
    }
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &src, &mut files);
    assert!(
        files.len() > 50,
        "found only {} files under src/",
        files.len()
    );
    for (rel, _) in &files {
        let m = module_of(rel);
        assert!(
            layer(&m).is_some() || m == "lib" || m == "main",
            "src/{}: module {m} has no layer; give it one in tests/layers.rs",
            rel.display()
        );
    }
    let v = violations(&files);
    assert!(v.is_empty(), "upward uses:\n{}", v.join("\n"));
}

#[test]
fn a_planted_upward_import_is_caught() {
    let planted = |path: &str, text: &str| vec![(PathBuf::from(path), text.to_string())];
    let cases = [
        (
            "ops/execute.rs",
            "use crate::cli::session::Session;\n",
            "ops (layer 4) uses cli",
        ),
        (
            "model/view.rs",
            "    let x = crate::sources::rest::client(c);\n",
            "model (layer 1) uses sources",
        ),
        (
            "dcs/keys.rs",
            "use crate::{text, model::Model};\n",
            "dcs (layer 0) uses model",
        ),
        ("tui/mod.rs", "use crate::cli::out;\n", "tui uses cli"),
        (
            "sources/sql.rs",
            "use ratatui::text::Line;\n",
            "sources names a terminal UI crate",
        ),
        (
            "session.rs",
            "use crate::ops::Ctx;\n",
            "session (layer 3) uses ops",
        ),
    ];
    for (path, text, want) in cases {
        let v = violations(&planted(path, text));
        assert!(
            v.len() == 1 && v[0].contains(want),
            "{path}: {text:?} gave {v:?}, want one violation with {want:?}"
        );
    }
    // Comments, doc links and downward uses are not violations.
    let fine = planted(
        "sources/rest.rs",
        "//! Only the ops layer sends them ([`crate::ops::rest_call::send`]).\nuse crate::model::Model; // not crate::tui\n",
    );
    assert_eq!(violations(&fine), Vec::<String>::new());
}
