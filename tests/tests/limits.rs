//! Size limits as DESIGN §8 has them: an over-limit request is RESOURCE_EXHAUSTED, names
//! the limit, and changes nothing.

use anyhow::Result;
use lianluo_federation::tls::{client_config, connect, TlsFiles};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{change, Change, CreateRequest, ListRequest, SuggestionSubmitted};
use lianluo_tests::Federation;
use tonic::Code;

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_request_is_resource_exhausted_and_changes_nothing() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let pki = fed.dir().join("pki");
    let tls = client_config(&TlsFiles {
        cert: pki.join("hezhou/users/coordinator.pem"),
        key: pki.join("hezhou/users/coordinator.key"),
        ca: pki.join("root-ca.pem"),
        crls: vec![],
    })?;
    let channel = connect(&format!("https://{}", node.api), tls).await?;
    let mut client = RecordsClient::new(channel).max_encoding_message_size(8 << 20);
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
