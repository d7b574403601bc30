//! The VIP as the console's header shows it, from every node's agent (the
//! node's VIP config, the kernel's addresses). The lab binds the address
//! as the manager would (see `src/lab/vip.rs` for why no manager runs);
//! this test moves it, or leaves it behind, as a manager would, or would
//! fail to.

use super::tmux::Tmux;
use crate::common::SharedLab;
use std::process::Command;
use std::time::Duration;

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("ip (iproute2)");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Binds the VIP on these members' interfaces only.
fn place(lab: &SharedLab, on: &[&str]) {
    let vip = lab.info.vip.as_ref().unwrap();
    let addr = format!("{}/32", vip.ip);
    for iface in vip.interfaces.values() {
        let _ = Command::new("ip")
            .args(["addr", "del", &addr, "dev", iface])
            .output();
    }
    for m in on {
        ip(&["addr", "add", &addr, "dev", &vip.interfaces[*m]]);
    }
}

fn header_says(tmux: &Tmux, what: &str) {
    tmux.wait_screen(Duration::from_secs(15), |s| {
        s.lines().take(3).any(|l| l.contains(what))
    })
    .unwrap_or_else(|| panic!("the header does not say {what:?}:\n{}", tmux.screen()));
}

pub fn the_vip_is_shown_where_it_is_and_flagged_when_wrong(lab: &SharedLab) {
    let _x = lab.lock();
    let vip = lab
        .info
        .vip
        .clone()
        .expect("the lab has no VIP: it makes interfaces only as root, as CI runs, and only where the kernel can make bridges (its log says why not)");
    let (leader, _) = lab.settle();
    place(lab, &[&leader]);
    let tmux = Tmux::start_with(
        lab,
        200,
        40,
        &format!("PGTUI_AGENT_TOKEN={}", lab.agent_token()),
        "",
    );
    header_says(&tmux, &format!("VIP {} on {leader}", vip.ip));

    // The switchover through pgtui: its verified end state includes the
    // VIP, and a VIP that does not follow fails it.
    let to = lab.candidates()[0].clone();
    // Just after the lab's backup, Patroni's positions may still show the
    // candidate behind: the preflight refuses (exit 6) until they catch up.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let out = loop {
        let out = lab.pgtui(&["switchover", "pg-test", "--candidate", &to, "--yes"]);
        if out.status.code() != Some(6) || std::time::Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (now_leader, _) = lab.settle();
    assert_eq!(now_leader, to, "{said}");
    if vip.manager == "vip-manager" {
        assert_eq!(out.status.code(), Some(8), "{said}");
        assert!(
            said.contains(&format!(
                "the VIP did not follow: VIP {} on {leader}, not on the leader {to}",
                vip.ip
            )),
            "{said}"
        );
    } else {
        assert!(out.status.success(), "{said}");
        assert!(
            said.contains(&format!("| VIP {} on {leader}", vip.ip)),
            "the verified end state names the VIP: {said}"
        );
    }
    if vip.manager == "vip-manager" {
        // Nobody moved it: vip-manager on the old leader did not let go
        // (stopped, or cut off from etcd).
        header_says(
            &tmux,
            &format!(
                "! VIP {} on {leader}, not on the leader {to}: it did not follow",
                vip.ip
            ),
        );
        place(lab, &[&to]);
        header_says(&tmux, &format!("VIP {} on {to}", vip.ip));
    } else {
        // keepalived floats it over the HAProxy nodes, whoever leads.
        header_says(&tmux, &format!("VIP {} on {leader}", vip.ip));
    }
    place(lab, &[]);
    header_says(&tmux, &format!("! VIP {} held by no node", vip.ip));
    let others: Vec<&str> = vip.interfaces.keys().map(String::as_str).take(2).collect();
    place(lab, &others);
    header_says(&tmux, &format!("! VIP {} held by 2 nodes at once", vip.ip));
    place(lab, &[&to]);
    header_says(&tmux, &format!("VIP {} on {to}", vip.ip));
}
