//! Themes: `themes/*.toml` built in, a user file overriding only what it
//! names, and a monochrome fallback for `NO_COLOR` where meaning is carried
//! by text and symbols alone (the views never rely on colour only).

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;

const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// Every field optional, so a user file can override a few colours.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    base: Option<String>,
    fg: Option<String>,
    bg: Option<String>,
    muted: Option<String>,
    border: Option<String>,
    title: Option<String>,
    header: Option<String>,
    selected_bg: Option<String>,
    leader: Option<String>,
    replica: Option<String>,
    sync: Option<String>,
    ok: Option<String>,
    warn: Option<String>,
    alarm: Option<String>,
    stale: Option<String>,
    accent: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub fg: Color,
    pub bg: Color,
    pub muted: Color,
    pub border: Color,
    pub title: Color,
    pub header: Color,
    pub selected_bg: Color,
    pub leader: Color,
    pub replica: Color,
    pub sync: Color,
    pub ok: Color,
    pub warn: Color,
    pub alarm: Color,
    pub stale: Color,
    pub accent: Color,
    /// No colour at all: emphasis by bold/reverse only.
    pub mono: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("unknown theme {0:?}: built in are dark, light, high-contrast, colorblind; or give a path to a .toml file")]
    Unknown(String),
    #[error("theme file {path}: {reason}")]
    Bad { path: PathBuf, reason: String },
}

fn colour(s: &str, field: &str) -> Result<Color, String> {
    Color::from_str(s).map_err(|_| {
        format!("{field} = {s:?} is not a colour (a name like \"lightred\" or \"#rrggbb\")")
    })
}

impl Theme {
    fn blank(name: &str) -> Self {
        Theme {
            name: name.into(),
            fg: Color::Reset,
            bg: Color::Reset,
            muted: Color::Reset,
            border: Color::Reset,
            title: Color::Reset,
            header: Color::Reset,
            selected_bg: Color::Reset,
            leader: Color::Reset,
            replica: Color::Reset,
            sync: Color::Reset,
            ok: Color::Reset,
            warn: Color::Reset,
            alarm: Color::Reset,
            stale: Color::Reset,
            accent: Color::Reset,
            mono: false,
        }
    }

    fn apply(mut self, f: &ThemeFile) -> Result<Self, String> {
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(v) = &f.$field { self.$field = colour(v, stringify!($field))?; }
            )*};
        }
        set!(
            fg,
            bg,
            muted,
            border,
            title,
            header,
            selected_bg,
            leader,
            replica,
            sync,
            ok,
            warn,
            alarm,
            stale,
            accent
        );
        if let Some(n) = &f.name {
            self.name = n.clone();
        }
        Ok(self)
    }

    fn parse(text: &str, path: &Path) -> Result<ThemeFile, ThemeError> {
        toml::from_str(text).map_err(|e| ThemeError::Bad {
            path: path.to_path_buf(),
            reason: e.message().to_string(),
        })
    }

    /// A built-in theme by name.
    pub fn built_in(name: &str) -> Result<Self, ThemeError> {
        let (_, text) = BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError::Unknown(name.into()))?;
        let path = PathBuf::from(format!("themes/{name}.toml"));
        let f = Self::parse(text, &path)?;
        Theme::blank(name)
            .apply(&f)
            .map_err(|reason| ThemeError::Bad { path, reason })
    }

    /// Resolves `--theme`: a built-in name, or a file that overrides its
    /// `base` (default: dark). `user_dir` holds user themes by name.
    pub fn load(choice: Option<&str>, user_dir: Option<&Path>) -> Result<Self, ThemeError> {
        let choice = choice.unwrap_or("dark");
        let user_file = user_dir
            .map(|d| d.join(format!("{choice}.toml")))
            .filter(|p| p.is_file());
        let path = if choice.ends_with(".toml") {
            Some(PathBuf::from(choice))
        } else {
            user_file
        };
        let Some(path) = path else {
            return Self::built_in(choice);
        };
        let text = crate::config::file::read_text(&path).map_err(|e| ThemeError::Bad {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let f = Self::parse(&text, &path)?;
        let base_name = f.base.clone().unwrap_or_else(|| {
            if BUILT_IN.iter().any(|(n, _)| *n == choice) {
                choice.to_string()
            } else {
                "dark".into()
            }
        });
        Self::built_in(&base_name)?
            .apply(&f)
            .map_err(|reason| ThemeError::Bad { path, reason })
    }

    /// For `NO_COLOR` and monochrome terminals.
    pub fn mono() -> Self {
        Theme {
            mono: true,
            ..Theme::blank("mono")
        }
    }

    pub fn names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(n, _)| *n).collect()
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.fg).bg(self.bg)
    }

    pub fn fg(&self, c: Color) -> Style {
        Style::default().fg(c)
    }

    pub fn alarm(&self) -> Style {
        Style::default().fg(self.alarm).add_modifier(Modifier::BOLD)
    }

    pub fn selected(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(self.selected_bg)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn header(&self) -> Style {
        Style::default()
            .fg(self.header)
            .add_modifier(Modifier::BOLD)
    }

    pub fn muted(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default().fg(self.muted)
        }
    }
}
