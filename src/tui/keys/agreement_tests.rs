//! The registry agrees with itself: every hint names keys its mode binds to
//! the action it claims, every binding is in the help, no key is bound
//! twice in a mode.

use super::dialog::{InDialog, DIALOG};
use super::line::LINE;
use super::*;
use crate::tui::dialog::DialogKey;

fn keys_are_unique<A>(map: &Keymap<A>) {
    let mut seen = Vec::new();
    for b in map.bindings {
        for k in b.keys {
            assert!(!seen.contains(k), "{k:?} bound twice");
            seen.push(*k);
        }
    }
}

#[test]
fn no_key_is_bound_twice_in_a_dialog_or_a_line() {
    keys_are_unique(&DIALOG);
    keys_are_unique(&LINE);
}

#[test]
fn every_hint_names_keys_bound_to_what_it_says() {
    for h in HINTS {
        for (k, a) in h.keys() {
            assert_eq!(lookup(&k.event(), true), Some(*a), "{:?}", h.text());
        }
    }
    for h in dialog::HINTS {
        for (k, a) in h.keys() {
            // Named keys act whether or not a name is being typed.
            for typing in [false, true] {
                assert_eq!(
                    DIALOG.lookup(&k.event(), true, typing),
                    Some(Press::Act(*a)),
                    "{:?} (typing: {typing})",
                    h.text()
                );
            }
        }
    }
}

/// Whether the help has the row of a binding: its keys and what they do.
fn has(rows: &[(String, String)], keys: &[Key], help: &str) -> bool {
    let k: Vec<String> = keys.iter().map(|k| k.label()).collect();
    rows.iter()
        .any(|(rk, rh)| *rk == k.join(" / ") && rh == help)
}

#[test]
fn every_binding_of_every_mode_is_in_the_help() {
    let rows = help_rows(true);
    for b in BINDINGS {
        assert!(has(&rows, b.keys, b.help), "{:?}", b.keys);
    }
    for b in DIALOG.bindings {
        assert!(has(&rows, b.keys, b.help), "{:?}", b.keys);
    }
    for b in LINE.bindings {
        assert!(has(&rows, b.keys, b.help), "{:?}", b.keys);
    }
    for t in [DIALOG.typing, LINE.typing].into_iter().flatten() {
        assert!(rows.iter().any(|(_, h)| h == t), "{t}");
    }
    // Read-only, no dialog can open: its keys are not offered.
    let ro = help_rows(false);
    for b in DIALOG.bindings {
        assert!(!has(&ro, b.keys, b.help), "{:?}", b.keys);
    }
    for b in LINE.bindings {
        assert!(has(&ro, b.keys, b.help), "{:?}", b.keys);
    }
}

#[test]
fn a_name_being_typed_takes_letters_but_not_named_keys() {
    let press = |k: Key, typing| DIALOG.lookup(&k.event(), true, typing);
    assert_eq!(
        press(Key::Char('k'), false),
        Some(Press::Act(InDialog::Pass(DialogKey::Up)))
    );
    assert_eq!(press(Key::Char('k'), true), Some(Press::Type('k')));
    assert_eq!(
        press(Key::Up, true),
        Some(Press::Act(InDialog::Pass(DialogKey::Up)))
    );
    assert_eq!(
        press(Key::Ctrl('a'), true),
        Some(Press::Act(InDialog::Pass(DialogKey::AllowAsync)))
    );
    assert_eq!(
        press(Key::Ctrl('c'), true),
        Some(Press::Act(InDialog::Quit))
    );
    assert_eq!(
        press(Key::Char('q'), false),
        None,
        "q does not quit a dialog"
    );
    // A line takes every character, whatever came with it.
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(LINE.lookup(&ctrl_c, true, true), Some(Press::Type('c')));
}
