//! The screens, k9s-style resource views.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    Cluster,
    Timeline,
    Replication,
    Services,
    Config,
    Events,
    Backups,
    Pools,
    Logs,
    Fleet,
}

impl Screen {
    pub const ALL: [Screen; 10] = [
        Screen::Cluster,
        Screen::Timeline,
        Screen::Replication,
        Screen::Services,
        Screen::Config,
        Screen::Events,
        Screen::Backups,
        Screen::Pools,
        Screen::Logs,
        Screen::Fleet,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Cluster => "cluster",
            Screen::Timeline => "timeline",
            Screen::Replication => "replication",
            Screen::Services => "services",
            Screen::Config => "config",
            Screen::Events => "events",
            Screen::Backups => "backups",
            Screen::Pools => "pools",
            Screen::Logs => "logs",
            Screen::Fleet => "fleet",
        }
    }

    pub fn from_name(s: &str) -> Option<Screen> {
        Screen::ALL
            .into_iter()
            .find(|x| x.title() == s || (s.len() >= 3 && x.title().starts_with(s)))
    }
}
