//! Size limits as DESIGN §8 has them: an over-limit request is RESOURCE_EXHAUSTED, names
//! the limit, and changes nothing.

use anyhow::Result;
use lianluo_federation::tls::{client_config, connect, TlsFiles};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{
    change, Change, CreateRequest, ListRequest, SuggestionSubmitted, WatchRequest,
};
use lianluo_tests::{Federation, NodeProc};
use tonic::transport::Channel;
use tonic::Code;
// A codec sending raw bytes: what no generated client would send.
use lianluo_tests::rpc_raw::Raw;

/// A new mutual-TLS channel to `node`'s client API as hezhou's `user`.
async fn channel(fed: &Federation, node: &NodeProc, user: &str) -> Result<Channel> {
    let pki = fed.dir().join("pki");
    let tls = client_config(&TlsFiles {
        cert: pki.join(format!("hezhou/users/{user}.pem")),
        key: pki.join(format!("hezhou/users/{user}.key")),
        ca: pki.join("root-ca.pem"),
        crls: vec![],
    })?;
    Ok(connect(&format!("https://{}", node.api), tls).await?)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_request_is_resource_exhausted_and_changes_nothing() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let mut client = RecordsClient::new(channel(&fed, &node, "coordinator").await?)
        .max_encoding_message_size(8 << 20);
    let submitted = |body: String| CreateRequest {
        request_id: "big-one".into(),
        partners: vec![],
        change: Some(Change {
            kind: Some(change::Kind::SuggestionSubmitted(SuggestionSubmitted {
                title: "超长建议".into(),
                body,
                ..Default::default()
            })),
        }),
    };
    let err = client
        .create(submitted("长".repeat(1 << 20)))
        .await
        .expect_err("a 3 MiB request must be refused");
    assert_eq!(err.code(), Code::ResourceExhausted, "{err}");
    assert!(
        err.message().contains("limits.max_request_bytes"),
        "{}",
        err.message()
    );
    let listed = client.list(ListRequest::default()).await?.into_inner();
    assert!(
        listed.records.is_empty(),
        "a refused request created a record"
    );
    // The same request id still works for a request of acceptable size.
    let ok = client.create(submitted("正文".into())).await?.into_inner();
    assert_eq!(ok.status, "submitted");
    Ok(())
}

/// Calls the unary method at `path` with `body` as its request bytes.
async fn raw_call(
    channel: tonic::transport::Channel,
    path: &'static str,
    body: Vec<u8>,
) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel).max_encoding_message_size(usize::MAX);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unknown(e.to_string()))?;
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
    grpc.unary(tonic::Request::new(body), path, Raw)
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_service_refuses_undecodable_and_oversized_requests_as_the_callers_fault(
) -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let channel = channel(&fed, &node, "coordinator").await?;
    let methods = [
        "/lianluo.v1.Records/Create",
        "/lianluo.v1.Records/List",
        "/lianluo.v1.Node/Peers",
        "/lianluo.v1.Dashboard/Overview",
        "/grpc.health.v1.Health/Check",
    ];
    for path in methods {
        // Field 1, length-delimited, with a length that is not a valid varint.
        let err = raw_call(channel.clone(), path, vec![0x0a, 0xff])
            .await
            .expect_err("garbage must be refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{path}: {err}");
        assert!(
            err.message().contains("not a valid protobuf"),
            "{path}: {err}"
        );
        let err = raw_call(channel.clone(), path, vec![0; 3 << 20])
            .await
            .expect_err("3 MiB must be refused");
        assert_eq!(err.code(), Code::ResourceExhausted, "{path}: {err}");
        assert!(
            err.message().contains("limits.max_request_bytes"),
            "{path}: {err}"
        );
    }
    let mut client = RecordsClient::new(channel);
    let listed = client.list(ListRequest::default()).await?.into_inner();
    assert!(
        listed.records.is_empty(),
        "a refused request created a record"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn one_users_burst_of_calls_is_bounded_and_others_are_served() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    fed.set_config("hezhou", "limits", "calls_per_caller", "4")?;
    let node = fed.start("hezhou")?;
    let coordinator = RecordsClient::new(channel(&fed, &node, "coordinator").await?);
    // Records to list, so that each List takes a while; created one at a time.
    for i in 0..200 {
        let mut c = coordinator.clone();
        {
            c.create(CreateRequest {
                request_id: format!("burst-{i}"),
                partners: vec![],
                change: Some(Change {
                    kind: Some(change::Kind::SuggestionSubmitted(SuggestionSubmitted {
                        title: format!("关于第{i}条道路的建议"),
                        body: "正文".repeat(200),
                        ..Default::default()
                    })),
                }),
            })
            .await?;
        }
    }
    let viewer = RecordsClient::new(channel(&fed, &node, "viewer").await?);
    let list = |mut c: RecordsClient<tonic::transport::Channel>| async move {
        c.list(ListRequest {
            page_size: 200,
            ..Default::default()
        })
        .await
    };
    let burst: Vec<_> = (0..40)
        .map(|_| tokio::spawn(list(viewer.clone())))
        .collect();
    let others: Vec<_> = (0..3)
        .map(|_| tokio::spawn(list(coordinator.clone())))
        .collect();
    let mut refused = 0;
    for call in burst {
        match call.await? {
            Ok(r) => assert_eq!(r.into_inner().records.len(), 200),
            Err(s) => {
                assert_eq!(s.code(), Code::ResourceExhausted, "{s}");
                assert!(s.message().contains("limits.calls_per_caller"), "{s}");
                refused += 1;
            }
        }
    }
    assert!(
        refused > 0,
        "40 calls at once from one user were all let in"
    );
    for call in others {
        let listed = call
            .await?
            .expect("another user is served during the burst");
        assert_eq!(listed.into_inner().records.len(), 200);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn open_change_streams_count_against_the_callers_limit_until_closed() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    fed.set_config("hezhou", "limits", "calls_per_caller", "4")?;
    let node = fed.start("hezhou")?;
    let viewer = RecordsClient::new(channel(&fed, &node, "viewer").await?);
    let mut streams = Vec::new();
    for _ in 0..4 {
        let mut c = viewer.clone();
        let mut s = c.watch(WatchRequest { since: 0 }).await?.into_inner();
        // Open and answering (its first response says it has caught up).
        s.message().await?;
        streams.push(s);
    }
    let err = viewer
        .clone()
        .list(ListRequest::default())
        .await
        .expect_err("a fifth call while four streams are open");
    assert_eq!(err.code(), Code::ResourceExhausted, "{err}");
    assert!(err.message().contains("limits.calls_per_caller"), "{err}");
    drop(streams.pop());
    // The closed stream's place comes back once the node has seen the client go.
    let handle = tokio::runtime::Handle::current();
    let polled = tokio::task::spawn_blocking(move || {
        lianluo_tests::eventually(
            std::time::Duration::from_secs(10),
            "the closed stream's place back",
            || match handle.block_on(viewer.clone().list(ListRequest::default())) {
                Err(e) if e.code() == Code::ResourceExhausted => None,
                other => Some(other.map(drop)),
            },
        )
    })
    .await??;
    polled?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_using_exactly_its_limit_is_never_refused() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    fed.set_config("hezhou", "limits", "calls_per_caller", "4")?;
    // This test is about calls at once; the per-user rate is out of its way.
    fed.set_config("hezhou", "limits", "calls_per_second", "1000000")?;
    let node = fed.start("hezhou")?;
    let coordinator = channel(&fed, &node, "coordinator").await?;
    // Four workers, each starting its next call as soon as the last one answered: a
    // place must be free again by the time the client sees the answer.
    let made = lianluo_tests::grpc::create_suggestions(coordinator, 1_000, &[], 4).await?;
    assert_eq!(made.len(), 1_000);
    Ok(())
}
