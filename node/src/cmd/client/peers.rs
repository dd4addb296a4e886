//! `lianluo peers [--json]`: the replication state of each of the node's peers, from the
//! node's `Node.Peers` API; the table in English or (`--lang zh`, a Chinese locale) in
//! Chinese, the warnings for IT staff in English.

use std::fmt::Write as _;

use lianluo_proto::node_client::NodeClient;
use lianluo_proto::{PeerStatus, PeersRequest, PeersResponse};
use tonic::transport::Channel;

use lianluo_node::dashboard::labels::{self, Lang};

use super::{emit, output, rpc, Context};

/// Asks the node for its peers and prints them.
pub async fn run(channel: Channel, ctx: &Context, ep: &str) -> anyhow::Result<()> {
    let resp = rpc(NodeClient::new(channel).peers(PeersRequest {}))
        .await
        .map_err(|s| output::status_error(&s, ep))?;
    if ctx.json {
        emit(&(output::json(&resp.peers)? + "\n"))
    } else {
        emit(&table(&resp, ctx.lang))
    }
}

/// A table of peers: city, state, connected, lag, last contact, last error.
pub fn table(resp: &PeersResponse, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let names = output::Names::from_labels(&resp.names);
    let own = names.city(&resp.city, lang);
    if resp.peers.is_empty() {
        return if zh {
            format!("{own}节点没有配置联邦节点（[[peers]]）\n")
        } else {
            format!("{} has no federation peers configured\n", resp.city)
        };
    }
    let rows: Vec<[String; 6]> = resp.peers.iter().map(|p| row(p, lang, &names)).collect();
    let headers = if zh {
        ["城市", "状态", "在线", "待同步", "最近联系", "最近错误"]
    } else {
        [
            "CITY",
            "STATE",
            "CONNECTED",
            "LAG",
            "LAST CONTACT",
            "LAST ERROR",
        ]
    };
    let width = output::columns;
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .map(|r| width(&r[i]))
                .chain(std::iter::once(width(headers[i])))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = if zh {
        format!("{own}节点的联邦节点：\n")
    } else {
        format!("peers of {}:\n", resp.city)
    };
    let mut line = |cells: [&str; 6]| {
        for (i, cell) in cells.iter().take(5).enumerate() {
            let pad = widths[i].saturating_sub(width(cell));
            let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
        }
        // The error comes last and unpadded: it may be long.
        let _ = writeln!(out, "{}", cells[5]);
    };
    line(headers);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]);
    }
    for p in resp.peers.iter().filter(|p| p.events_clock_ahead > 0) {
        let _ = writeln!(
            out,
            "warning: {} sent {} event(s) stamped {} ahead of this node's clock, more than \
             [federation] max_clock_skew_secs; they are kept, but check both machines' \
             clocks (NTP)",
            p.city,
            p.events_clock_ahead,
            span(p.clock_ahead_ms)
        );
    }
    for p in &resp.peers {
        for l in &p.log_proofs {
            let _ = writeln!(
                out,
                "warning: {}'s log {} was served two ways (found {}): at seq {} this node \
                 holds {} but {} was served {}; {} rewrote its log without a new log id \
                 (restored from a disk snapshot?) or serves different nodes different logs",
                p.city, l.log_id, l.found_at, l.seq, l.ours, l.seen_by, l.theirs, p.city
            );
        }
        for e in &p.equivocations {
            let _ = writeln!(
                out,
                "warning: {} signed two different events on record {} from the same state \
                 (equivocation, found {}): {} and {}; both are kept as the proof \
                 (`lianluo show {}`)",
                p.city, e.record_id, e.found_at, e.first, e.second, e.record_id
            );
        }
    }
    out
}

/// A duration in milliseconds as people read it: `1h 2m`, `4m 10s`, `12s`.
fn span(ms: u64) -> String {
    let s = ms / 1000;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

fn row(p: &PeerStatus, lang: Lang, names: &output::Names) -> [String; 6] {
    let zh = lang == Lang::Zh;
    let or_dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            // One line per peer, whatever the error text holds.
            s.replace(['\n', '\r'], " ")
        }
    };
    let time = |t: &str| output::local_time(t, lang);
    let (yes, no, never) = if zh {
        ("是", "否", "从未")
    } else {
        ("yes", "no", "never")
    };
    [
        names.city(&p.city, lang),
        if zh {
            labels::link(&p.state, lang).to_owned()
        } else {
            p.state.clone()
        },
        if p.connected { yes } else { no }.to_string(),
        p.lag.to_string(),
        if p.last_contact.is_empty() {
            never.to_string()
        } else {
            time(&p.last_contact)
        },
        match (p.last_error_at.is_empty(), zh) {
            (true, _) => or_dash(&p.last_error),
            (false, false) => format!("{} (at {})", or_dash(&p.last_error), p.last_error_at),
            (false, true) => format!("{}（{}）", or_dash(&p.last_error), time(&p.last_error_at)),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PeersResponse {
        PeersResponse {
            city: "hezhou".into(),
            peers: vec![
                PeerStatus {
                    city: "qingyuan".into(),
                    address: "127.0.0.1:7112".into(),
                    state: "connected".into(),
                    connected: true,
                    lag: 0,
                    last_contact: "2025-03-01T08:00:00Z".into(),
                    cursor_seq: 12,
                    events_applied: 12,
                    ..Default::default()
                },
                PeerStatus {
                    city: "yongzhou".into(),
                    address: "127.0.0.1:7122".into(),
                    state: "backing_off".into(),
                    connected: false,
                    lag: 7,
                    last_error: "transport: connection refused\nhint".into(),
                    attempt: 3,
                    ..Default::default()
                },
            ],
            names: Vec::new(),
        }
    }

    #[test]
    fn peers_table_shows_one_aligned_line_per_peer() {
        let text = table(&sample(), Lang::En);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], "peers of hezhou:");
        assert!(lines[1].starts_with("CITY      STATE        CONNECTED  LAG  LAST CONTACT"));
        assert!(
            lines[2].starts_with("qingyuan  connected    yes        0    2025-03-01T08:00:00Z  -")
        );
        assert!(lines[3].starts_with("yongzhou  backing_off  no         7    never"));
        assert!(lines[3].ends_with("transport: connection refused hint"));
        let empty = PeersResponse {
            city: "hezhou".into(),
            peers: vec![],
            ..Default::default()
        };
        assert!(table(&empty, Lang::En).contains("no federation peers"));
    }

    #[test]
    fn peers_table_in_chinese_names_cities_states_and_beijing_times() {
        let mut resp = sample();
        resp.peers[1].last_error_at = "2025-03-01T08:05:00Z".into();
        // A city the configuration names (the built-in names know three cities).
        resp.peers.push(PeerStatus {
            city: "guilin".into(),
            state: "connecting".into(),
            ..Default::default()
        });
        resp.names = vec![lianluo_proto::CityLabel {
            city: "guilin".into(),
            name: "桂林".into(),
            province: "广西".into(),
            name_en: "Guilin".into(),
        }];
        let text = table(&resp, Lang::Zh);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "贺州节点的联邦节点：");
        assert!(
            lines[1].starts_with("城市  状态      在线  待同步  最近联系"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("清远  已连接    是    0       2025年3月1日16:00"),
            "{text}"
        );
        assert!(
            lines[3].starts_with("永州  等待重连  否    7       从未"),
            "{text}"
        );
        assert!(
            lines[3].ends_with("transport: connection refused hint（2025年3月1日16:05）"),
            "{text}"
        );
        assert!(lines[4].starts_with("桂林  连接中"), "{text}");
        let empty = PeersResponse {
            city: "hezhou".into(),
            peers: vec![],
            ..Default::default()
        };
        assert_eq!(
            table(&empty, Lang::Zh),
            "贺州节点没有配置联邦节点（[[peers]]）\n"
        );
    }

    #[test]
    fn a_peer_whose_clock_runs_ahead_gets_a_warning_line() {
        let mut resp = sample();
        resp.peers[1].events_clock_ahead = 3;
        resp.peers[1].clock_ahead_ms = 3_725_000;
        let text = table(&resp, Lang::En);
        let last = text.lines().last().unwrap();
        assert!(
            last.starts_with("warning: yongzhou sent 3 event(s) stamped 1h 2m ahead"),
            "{text}"
        );
        assert_eq!(span(250_000), "4m 10s");
        resp.peers[0].equivocations = vec![lianluo_proto::EquivocationProof {
            record_id: "qingyuan-01ABC".into(),
            first: "aa".into(),
            second: "bb".into(),
            found_at: "2026-12-07T08:00:00.000Z".into(),
        }];
        let text = table(&resp, Lang::En);
        assert!(
            text.contains("warning: qingyuan signed two different events on record qingyuan-01ABC"),
            "{text}"
        );
        assert_eq!(span(12_000), "12s");
    }

    #[test]
    fn peers_json_is_a_list_of_objects_with_the_documented_keys() {
        let text = output::json(&sample().peers).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let list = v.as_array().unwrap();
        assert_eq!(list.len(), 2);
        for key in [
            "city",
            "connected",
            "lag",
            "state",
            "last_contact",
            "last_error",
        ] {
            assert!(list.iter().all(|o| o.get(key).is_some()), "{key} in {text}");
        }
        assert_eq!(list[0]["city"], "qingyuan");
        assert_eq!(list[0]["connected"], true);
        assert_eq!(list[1]["lag"], 7);
    }
}
