//! The client API spoken directly (gRPC over mutual TLS, a user certificate of the node's
//! city), for tests that write more than the CLI can in reasonable time: one process and
//! one handshake per CLI call would make a 10,000-event test last minutes.

use std::sync::Arc;

use anyhow::{Context, Result};
use lianluo_federation::tls::{client_config, connect, TlsFiles};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{change::Kind, Change, CreateRequest, SuggestionSubmitted};
use tonic::transport::Channel;

use crate::NodeProc;

/// A channel to `node`'s client API as its city's `role` user.
pub async fn channel(node: &NodeProc, role: &str) -> Result<Channel> {
    let pki = node.root().join("pki");
    let user = pki.join(&node.city).join("users");
    let files = TlsFiles {
        cert: user.join(format!("{role}.pem")),
        key: user.join(format!("{role}.key")),
        ca: pki.join("root-ca.pem"),
        crls: Vec::new(),
    };
    let config = client_config(&files).context("client tls config")?;
    let endpoint = format!("https://{}", node.api);
    connect(&endpoint, config)
        .await
        .with_context(|| format!("connect to {endpoint}"))
}

/// Creates `n` suggestions shared with `partners`, `parallel` calls in flight at a time;
/// returns their ids in the order they were acknowledged.
pub async fn create_suggestions(
    channel: Channel,
    n: usize,
    partners: &[&str],
    parallel: usize,
) -> Result<Vec<String>> {
    let partners: Arc<Vec<String>> = Arc::new(partners.iter().map(|p| p.to_string()).collect());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..parallel.max(1))
        .map(|_| {
            let (mut client, next, partners) = (
                RecordsClient::new(channel.clone()),
                next.clone(),
                partners.clone(),
            );
            tokio::spawn(async move {
                let mut ids = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        return Ok::<_, anyhow::Error>(ids);
                    }
                    let rec = client.create(request(i, &partners)).await?.into_inner();
                    ids.push(rec.id);
                }
            })
        })
        .collect();
    let mut ids = Vec::with_capacity(n);
    for t in tasks {
        ids.extend(t.await??);
    }
    Ok(ids)
}

fn request(i: usize, partners: &[String]) -> CreateRequest {
    let change = Kind::SuggestionSubmitted(SuggestionSubmitted {
        title: format!("批量建议第{i}号"),
        body: "建议三地共同推进边界道路建设。".into(),
        proposers: vec!["李明".into()],
        station_id: String::new(),
        year: 2026,
        ..Default::default()
    });
    CreateRequest {
        request_id: format!("bulk-{i}-{}", std::process::id()),
        partners: partners.to_vec(),
        change: Some(Change { kind: Some(change) }),
    }
}
