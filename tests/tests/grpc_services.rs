//! The client API serves gRPC health (SERVING once ready) and reflection (so `grpcurl`
//! can list the Lianluo services), over the same mutual TLS as the record API.

use anyhow::Result;
use lianluo_federation::tls::{client_config, connect, TlsFiles};
use lianluo_tests::Federation;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

async fn channel(fed: &Federation, api: &str) -> Result<Channel> {
    let pki = fed.dir().join("pki");
    let tls = client_config(&TlsFiles {
        cert: pki.join("hezhou/users/viewer.pem"),
        key: pki.join("hezhou/users/viewer.key"),
        ca: pki.join("root-ca.pem"),
        crls: vec![],
    })?;
    Ok(connect(&format!("https://{api}"), tls).await?)
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_reflection_are_served() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let ch = channel(&fed, &node.api).await?;

    let health = HealthClient::new(ch.clone())
        .check(HealthCheckRequest {
            service: "lianluo.v1.Records".into(),
        })
        .await?
        .into_inner();
    assert_eq!(health.status(), ServingStatus::Serving);

    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let ch_alpha = ch.clone();
    let mut stream = ServerReflectionClient::new(ch)
        .server_reflection_info(tokio_stream::iter([req]))
        .await?
        .into_inner();
    let resp = stream
        .message()
        .await?
        .ok_or_else(|| anyhow::anyhow!("no reflection answer"))?;
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        anyhow::bail!("unexpected reflection answer: {resp:?}");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        v1alpha_services(ch_alpha).await?,
        names,
        "v1alpha (older grpcurl, grpcio) lists the same services"
    );
    for want in [
        "lianluo.v1.Records",
        "lianluo.v1.Node",
        "lianluo.v1.Dashboard",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(names.contains(&want), "{want} not listed: {names:?}");
    }
    assert!(
        !names.contains(&"lianluo.v1.Federation"),
        "the client api does not serve Federation: {names:?}"
    );
    Ok(())
}

/// The services listed through reflection v1alpha.
async fn v1alpha_services(ch: Channel) -> Result<Vec<String>> {
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(ch)
        .server_reflection_info(tokio_stream::iter([req]))
        .await?
        .into_inner();
    let resp = stream
        .message()
        .await?
        .ok_or_else(|| anyhow::anyhow!("no v1alpha reflection answer"))?;
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        anyhow::bail!("unexpected v1alpha reflection answer: {resp:?}");
    };
    Ok(list.service.into_iter().map(|s| s.name).collect())
}
