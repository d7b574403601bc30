//! The real binary in a tmux pane: send keys, read the screen.

use crate::common::{bin, SharedLab};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub session: String,
}

impl Tmux {
    pub fn start(lab: &SharedLab, w: u16, h: u16) -> Tmux {
        Tmux::start_with(lab, w, h, "", "")
    }

    /// The console on pg-test with extra environment (`A=b C=d`) and flags.
    pub fn start_with(lab: &SharedLab, w: u16, h: u16, env: &str, flags: &str) -> Tmux {
        Tmux::start_on(lab, "pg-test", w, h, env, flags)
    }

    /// The console on `cluster`, with extra environment and flags.
    pub fn start_on(
        lab: &SharedLab,
        cluster: &str,
        w: u16,
        h: u16,
        env: &str,
        flags: &str,
    ) -> Tmux {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let session = format!(
            "pgtui-e2e-{}-{}-{}",
            lab.info.index,
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let cmd = format!(
            "PGTUI_SETTINGS=/dev/null {env} {} -c {} --cluster {cluster} {flags}",
            bin().display(),
            lab.info.patronictl_config.display()
        );
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
                &cmd,
            ])
            .status()
            .expect("tmux (apt-get install tmux)");
        assert!(ok.success(), "tmux new-session failed");
        Tmux { session }
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, k: &str) {
        Command::new("tmux")
            .args(["send-keys", "-t", &self.session, k])
            .status()
            .unwrap();
    }

    /// Types `text` as it is (no key names).
    #[allow(dead_code)] // Only the labs running the logs test use it.
    pub fn type_text(&self, text: &str) {
        Command::new("tmux")
            .args(["send-keys", "-l", "-t", &self.session, text])
            .status()
            .unwrap();
    }

    pub fn wait_screen(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let end = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if pred(&s) {
                return Some(s);
            }
            if Instant::now() > end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}
