//! A rendered buffer as text, one trimmed line per row, for snapshots and
//! for finding what a screen says.
#![allow(dead_code)]

use ratatui::buffer::Buffer;

pub fn text(buf: &Buffer) -> String {
    let a = buf.area;
    (0..a.height)
        .map(|y| {
            (0..a.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cell where `needle` starts.
pub fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    find_from(buf, needle, 0)
}

/// The cell where `needle` starts, searching rows from `y0` on.
pub fn find_from(buf: &Buffer, needle: &str, y0: u16) -> (u16, u16) {
    let a = buf.area;
    for y in y0..a.height {
        let row: Vec<&str> = (0..a.width).map(|x| buf[(x, y)].symbol()).collect();
        let line = row.concat();
        if let Some(x) = line.find(needle).and_then(|byte| column(&row, byte)) {
            return (x, y);
        }
    }
    panic!("{needle:?} not on screen:\n{}", text(buf));
}

/// The column of a row's cells (`symbol`s) where byte offset `byte` of
/// their concatenation starts.
pub fn column(row: &[&str], byte: usize) -> Option<u16> {
    let mut acc = 0;
    for (x, s) in row.iter().enumerate() {
        if acc == byte {
            return Some(x as u16);
        }
        acc += s.len();
    }
    None
}
