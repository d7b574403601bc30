//! A rendered buffer as text, one trimmed line per row, for snapshots and
//! for finding what a screen says.

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
