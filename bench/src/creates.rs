//! Durable creates: `Records/Create` of a suggestion (~600-byte event body, fresh
//! `request_id` each) at hezhou's node, by 1, 16 and 64 concurrent clients, each its own
//! mTLS connection with hezhou's coordinator certificate, closed loop. A create is
//! acknowledged only once its event is flushed, so this is the node's durable write path
//! end to end. Single-city records with only hezhou up: no replication work.
//!
//! Limits at each concurrency, in the same run: (a) the same clients calling
//! `Records/WhoAmI`, an authenticated no-op — what gRPC over TLS on this machine allows;
//! (b) raw sled inserts with group flush by as many threads ([`crate::sled_limit`]) —
//! what the storage allows.

use std::sync::Arc;

use anyhow::Result;
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::WhoAmIRequest;

use crate::clients::{closed_loop, Phase};
use crate::cluster::user_channels;
use crate::payload::{create_suggestion, RequestIds};
use crate::report::{Cmp, Report, Row, Unit};
use crate::{sled_limit, Ctx};

const S: &str = "creates";

/// The client count the issue sets its creates target at.
const TARGET_CLIENTS: usize = 64;

/// The node's group-commit totals: (flushes, writes answered, seconds flushing).
fn flush_totals(http: &str) -> Option<(f64, f64, f64)> {
    let text = crate::probe::scrape(http).ok()?;
    let get = |s| crate::probe::sample(&text, s);
    Some((
        get("lianluo_store_flushes_total")?,
        get("lianluo_store_flushed_writes_total")?,
        get("lianluo_store_flush_seconds_total")?,
    ))
}

/// Notes how the phase's acknowledgements shared flushes (nodes without the counters:
/// nothing).
fn note_flushes(
    report: &mut Report,
    c: usize,
    before: Option<(f64, f64, f64)>,
    after: Option<(f64, f64, f64)>,
) {
    let (Some(b), Some(a)) = (before, after) else {
        return;
    };
    let (flushes, writes, secs) = (a.0 - b.0, a.1 - b.1, a.2 - b.2);
    if flushes > 0.0 {
        report.note(
            S,
            format!(
                "@{c}: {flushes:.0} flushes, {:.1} writes per flush, {:.2} ms per flush",
                writes / flushes,
                1000.0 * secs / flushes
            ),
        );
    }
}

/// Runs the scenario and adds its rows.
pub fn run(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let fed = crate::cluster::federation(ctx)?;
    let node = fed.start("hezhou")?;
    let ids = Arc::new(RequestIds::new());
    let http = node.http.clone().unwrap_or_default();
    for &c in &ctx.sizes.concurrency {
        let before = flush_totals(&http);
        let window = ctx.sizes.window;
        let (mut who, mut creates) = ctx.rt.block_on(async {
            let channels = user_channels(&fed, &node, "coordinator", c).await?;
            let who = closed_loop(&channels, window, |ch| async move {
                RecordsClient::new(ch)
                    .who_am_i(WhoAmIRequest::default())
                    .await
                    .map(|_| ())
            })
            .await?;
            let ids = ids.clone();
            let creates = closed_loop(&channels, window, move |ch| {
                let req = create_suggestion(ids.next(), &[]);
                async move { RecordsClient::new(ch).create(req).await.map(|_| ()) }
            })
            .await?;
            anyhow::Ok((who, creates))
        })?;
        note_flushes(report, c, before, flush_totals(&http));
        let sled = sled_limit::group_commit(c, window)?;
        for (what, p) in [("WhoAmI", &who), ("Create", &creates)] {
            note_errors(report, c, what, p);
        }
        let (w, k) = (who.samples.summary(), creates.samples.summary());
        let at = |f: &str| format!("{f} @{c}");
        let mut row = Row::new(S, at("creates/s"), creates.rate(), Unit::PerSec)
            .limit(who.rate(), format!("WhoAmI, same {}", clients(c)));
        if c == TARGET_CLIENTS {
            // The target: at least half the no-op authenticated call rate.
            row = row.target(Cmp::Ge, 0.5 * who.rate());
        }
        report.push(row)?;
        report.push(
            Row::new(S, at("creates/s"), creates.rate(), Unit::PerSec).limit(
                sled.rate(),
                format!(
                    "raw sled insert + group flush, {c} thread{}",
                    if c == 1 { "" } else { "s" }
                ),
            ),
        )?;
        report.push(
            Row::new(S, at("create p50"), k.p50, Unit::Ms)
                .limit(w.p50, format!("WhoAmI p50, same {}", clients(c))),
        )?;
        report.push(
            Row::new(S, at("create p99"), k.p99, Unit::Ms)
                .limit(w.p99, format!("WhoAmI p99, same {}", clients(c))),
        )?;
    }
    Ok(())
}

/// "1 client", "16 clients".
fn clients(c: usize) -> String {
    format!("{c} client{}", if c == 1 { "" } else { "s" })
}

fn note_errors(report: &mut Report, c: usize, what: &str, p: &Phase) {
    if p.errors > 0 {
        report.note(
            S,
            format!(
                "{what} @{c}: {} failed calls, first: {}",
                p.errors,
                p.first_error.as_deref().unwrap_or("?")
            ),
        );
    }
}
