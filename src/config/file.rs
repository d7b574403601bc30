//! Reading a file someone pointed pgtui at, defensively.
//!
//! A config path may be a device (`-c /dev/zero` grew to 5 GB in 20 s), a
//! file of any size, or YAML nested deeply enough that the parser takes
//! quadratic time (100,000 `[` took over 20 s). So: only regular files
//! (and `/dev/null`, the usual "no settings"), read through a bound rather
//! than trusting the size metadata gives, a byte-order mark dropped, and
//! YAML's nesting counted by a linear pre-scan before serde_yaml sees it.
//! TOML needs no pre-scan: the toml parser stops at its own recursion limit.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// Far above any real patroni.yml, settings or theme file (a few KiB).
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;
/// Deepest YAML nesting accepted; Patroni's own files stay under 10.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("it is larger than {} MiB, too big for a configuration file", MAX_BYTES >> 20)]
    TooBig,
    #[error("it is not UTF-8 text (line {0})")]
    NotUtf8(usize),
}

fn kind(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a pipe"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }
}

/// The whole file, at most [`MAX_BYTES`]; `/dev/null` reads as empty.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, FileError> {
    let file = std::fs::File::open(path)?;
    // The opened file's type, not the path's: no swap between check and read.
    let meta = file.metadata()?;
    if !meta.is_file() {
        let null = std::fs::metadata("/dev/null").ok();
        if meta.file_type().is_char_device() && null.is_some_and(|n| n.rdev() == meta.rdev()) {
            return Ok(Vec::new());
        }
        return Err(FileError::NotRegular(kind(meta.file_type())));
    }
    let mut buf = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_BYTES {
        return Err(FileError::TooBig);
    }
    Ok(buf)
}

/// [`read_bytes`] as UTF-8 text, without a leading byte-order mark.
pub fn read_text(path: &Path) -> Result<String, FileError> {
    let bytes = read_bytes(path)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        FileError::NotUtf8(good.iter().filter(|b| **b == b'\n').count() + 1)
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// [`read_text`] for a configuration file, its failure naming the file.
pub fn read_config(path: &Path) -> Result<String, super::ConfigError> {
    read_text(path).map_err(|e| super::ConfigError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// A quote or flow bracket here starts a YAML node rather than sitting
/// inside a plain scalar (`it's`, `a[1]`).
fn starts_node(prev: Option<char>) -> bool {
    matches!(prev, None | Some(':' | '-' | '[' | '{' | ',' | '?'))
}

/// `|`, `>-`, `|2+`…: a block scalar header ends the line.
fn block_scalar_header(content: &str) -> bool {
    let token = content.trim_end().rsplit([' ', '\t']).next().unwrap_or("");
    let mut c = token.chars();
    matches!(c.next(), Some('|' | '>')) && c.all(|c| matches!(c, '+' | '-' | '1'..='9'))
}

/// The first line whose nesting (block indentation levels, compact `- `
/// entries and open flow brackets) goes past `max`, or `None`. One pass,
/// linear in the text; it may count a level too many on odd input, never
/// far too few.
pub fn yaml_too_deep(text: &str, max: usize) -> Option<usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<char> = None;
    // Indentation of the line that opened a block scalar: lines deeper than
    // it are text, not structure.
    let mut scalar_of: Option<usize> = None;
    for (no, line) in text.lines().enumerate() {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if let Some(parent) = scalar_of {
            if body.trim().is_empty() || indent > parent {
                continue;
            }
            scalar_of = None;
        }
        let structural = quote.is_none() && flow == 0;
        if structural {
            if body.trim().is_empty() || body.starts_with('#') {
                continue;
            }
            while indents.last().is_some_and(|&t| t > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
        }
        let mut depth = indents.len();
        let mut prev: Option<char> = None;
        let mut content_end = body.len();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match quote {
                Some('"') => {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        quote = None;
                        prev = Some(c);
                    }
                    continue;
                }
                Some(_) => {
                    if c == '\'' {
                        if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                            chars.next();
                        } else {
                            quote = None;
                            prev = Some(c);
                        }
                    }
                    continue;
                }
                None => {}
            }
            let spaced = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
            match c {
                '#' if i == 0 || body[..i].ends_with([' ', '\t']) => {
                    content_end = i;
                    break;
                }
                '"' | '\'' if starts_node(prev) => quote = Some(c),
                '[' | '{' if flow > 0 || starts_node(prev) => flow += 1,
                ']' | '}' if flow > 0 => flow -= 1,
                '-' | '?' if flow == 0 && spaced && matches!(prev, None | Some('-' | '?')) => {
                    depth += 1
                }
                _ => {}
            }
            if depth + flow > max {
                return Some(no + 1);
            }
            if !c.is_whitespace() {
                prev = Some(c);
            }
        }
        if structural && quote.is_none() && flow == 0 && block_scalar_header(&body[..content_end]) {
            scalar_of = Some(indent);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_block_flow_and_compact_nesting() {
        let ok = "scope: x\npostgresql:\n  parameters:\n    max_connections: 100\n  pg_hba:\n    - host all all 0.0.0.0/0 md5\nlist: [a, [b, {c: d}]]\n";
        assert_eq!(yaml_too_deep(ok, 4), None);
        assert_eq!(yaml_too_deep(ok, 2), Some(4));
        assert_eq!(yaml_too_deep("a: [[[[x]]]]\n", 4), Some(1));
        assert_eq!(yaml_too_deep("- - - - x\n", 3), Some(1));
        let block: String = (0..10).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(yaml_too_deep(&block, 5), Some(6));
        // Flow spanning lines keeps counting.
        assert_eq!(yaml_too_deep("a: [\n  [\n    [x]]]\n", 3), Some(3));
    }

    #[test]
    fn text_is_not_structure() {
        let text = "a: \"[[[[\"\nb: '{{{{ it''s'\nc: it's [not [a [list\nd: |\n  [[[[[\n      - - - - -\ne: x # [[[[\n";
        assert_eq!(yaml_too_deep(text, 2), None);
    }
}
