//! Rate and connection limits on a real node: one user over `limits.calls_per_second`
//! gets RESOURCE_EXHAUSTED naming it while another user is served, and is served again a
//! moment later; a TLS listener holds at most `limits.tls_connections` connections and
//! takes a new one once one closes; a peer holds at most `limits.calls_per_peer` calls
//! on the federation port.

use std::time::Duration;

use anyhow::{Context, Result};
use lianluo_federation::tls::{client_config, connect};
use lianluo_proto::federation_client::FederationClient;
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{FiguresRequest, SyncRequest, WhoAmIRequest};
use lianluo_tests::fake_peer::node_files;
use lianluo_tests::grpc::channel;
use lianluo_tests::{block_on_here, eventually, Federation};
use tonic::Code;

#[tokio::test(flavor = "multi_thread")]
async fn a_user_over_calls_per_second_is_refused_naming_it_and_others_are_served() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    fed.set_config("hezhou", "limits", "calls_per_second", "5")?;
    let node = fed.start("hezhou")?;
    let mut viewer = RecordsClient::new(channel(&node, "viewer").await?);
    let mut refused = None;
    for _ in 0..40 {
        if let Err(s) = viewer.who_am_i(WhoAmIRequest {}).await {
            refused = Some(s);
            break;
        }
    }
    let s = refused.context("40 calls at once were all taken at 5 a second")?;
    assert_eq!(s.code(), Code::ResourceExhausted, "{s}");
    assert!(s.message().contains("limits.calls_per_second"), "{s}");
    // Another user is not slowed.
    let mut coordinator = RecordsClient::new(channel(&node, "coordinator").await?);
    coordinator.who_am_i(WhoAmIRequest {}).await?;
    // The same user is served again once the rate allows.
    eventually(Duration::from_secs(5), "the viewer served again", || {
        let mut v = viewer.clone();
        block_on_here(async move { v.who_am_i(WhoAmIRequest {}).await.ok() })
    })?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_listener_holds_at_most_tls_connections_and_takes_one_when_one_closes() -> Result<()>
{
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    fed.set_config("hezhou", "limits", "tls_connections", "3")?;
    let node = fed.start("hezhou")?;
    let mut open = Vec::new();
    for _ in 0..3 {
        let ch = channel(&node, "viewer").await?;
        RecordsClient::new(ch.clone())
            .who_am_i(WhoAmIRequest {})
            .await?;
        open.push(ch);
    }
    let over = match channel(&node, "viewer").await {
        Ok(ch) => RecordsClient::new(ch)
            .who_am_i(WhoAmIRequest {})
            .await
            .err(),
        Err(e) => Some(tonic::Status::unavailable(e.to_string())),
    };
    assert!(over.is_some(), "a fourth connection was served");
    drop(open.pop());
    eventually(Duration::from_secs(10), "a connection taken again", || {
        block_on_here(async {
            let ch = channel(&node, "viewer").await.ok()?;
            RecordsClient::new(ch).who_am_i(WhoAmIRequest {}).await.ok()
        })
    })?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_holds_at_most_calls_per_peer_calls_on_the_federation_port() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    fed.set_config("hezhou", "limits", "calls_per_peer", "1")?;
    let node = fed.start("hezhou")?;
    let pki = fed.dir().join("pki");
    let tls = client_config(&node_files(&pki, "qingyuan"))?;
    let ch = connect(&format!("https://{}", node.federation), tls).await?;
    let mut peer = FederationClient::new(ch);
    // An open Sync stream is one call for as long as it is open.
    let mut stream = peer.sync(SyncRequest::default()).await?.into_inner();
    stream.message().await?.context("a first batch")?;
    let err = peer
        .figures(FiguresRequest::default())
        .await
        .expect_err("a second call while the stream is open");
    assert_eq!(err.code(), Code::ResourceExhausted, "{err}");
    assert!(err.message().contains("limits.calls_per_peer"), "{err}");
    drop(stream);
    eventually(
        Duration::from_secs(5),
        "figures served once the stream closed",
        || {
            let mut p = peer.clone();
            block_on_here(async move { p.figures(FiguresRequest::default()).await.ok() })
        },
    )?;
    Ok(())
}
