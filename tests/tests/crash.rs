//! Nothing acknowledged is ever lost: a node killed with SIGKILL right after a burst of
//! acknowledged writes has every one of them after it restarts.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use lianluo_tests::Federation;

#[test]
fn every_acknowledged_write_survives_sigkill() -> Result<()> {
    let fed = Federation::init()?;
    let mut node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let seed = cli.json(&[
        "suggestion",
        "create",
        "--title",
        "种子建议",
        "--body",
        "内容",
    ])?;
    let seed_id = seed["id"].as_str().unwrap_or_default().to_string();
    cli.json(&[
        "suggestion",
        "dispatch",
        &seed_id,
        "--unit",
        "贺州市自然资源局",
        "--deadline",
        "2027-03-01",
    ])?;
    let progress_acked: Arc<Mutex<u64>> = Arc::default();

    // Four writers at once, so acknowledgements share group-commit flushes.
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let cli = cli.clone();
            let acked = acked.clone();
            let seed_id = seed_id.clone();
            let progress_acked = progress_acked.clone();
            std::thread::spawn(move || -> Result<()> {
                for i in 0..8 {
                    let title = format!("崩溃测试建议 {w}-{i}");
                    let rec =
                        cli.json(&["suggestion", "create", "--title", &title, "--body", "正文"])?;
                    let id = rec["id"].as_str().unwrap_or_default().to_string();
                    acked
                        .lock()
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                        .push((id, title));
                    if w == 0 {
                        cli.json(&[
                            "suggestion",
                            "progress",
                            &seed_id,
                            "--note",
                            &format!("进展 {i}"),
                        ])?;
                        *progress_acked.lock().map_err(|e| anyhow::anyhow!("{e}"))? += 1;
                    }
                }
                Ok(())
            })
        })
        .collect();
    for w in writers {
        w.join().map_err(|_| anyhow::anyhow!("writer panicked"))??;
    }
    // Kill the moment the last acknowledgement arrived: no shutdown, no final flush.
    node.kill();
    let before = cli.json(&["list"]).is_err();
    assert!(before, "the node should be down");

    let node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let acked = acked.lock().map_err(|e| anyhow::anyhow!("{e}"))?.clone();
    assert_eq!(acked.len(), 32);
    for (id, title) in &acked {
        let rec = cli.json(&["show", id])?;
        assert_eq!(&rec["title"], title.as_str());
        assert_eq!(rec["status"], "submitted");
    }
    let seed = cli.json(&["show", &seed_id])?;
    let progress = *progress_acked.lock().map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(
        seed["version"],
        2 + progress,
        "every acknowledged act on the seed survives"
    );
    let listed = cli.json(&["list", "--all"])?;
    let n = listed.as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(n, 33, "no record lost and none duplicated");
    Ok(())
}
