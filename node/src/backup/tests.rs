//! Backup and restore against real sled stores, real PKI certificates and real signed
//! events made through the Records service.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lianluo_certs::Pki;
use lianluo_federation::tls::TlsConnectInfo;
use lianluo_proto::records_server::Records;
use lianluo_proto::{change, ActRequest, Change, CreateRequest, Record};

use super::format::{Header, Reader, Writer};
use super::*;
use crate::config;
use crate::service::RecordsService;
use crate::state::NodeState;

/// A PKI for hezhou and qingyuan and a config for `city` written the way
/// `lianluo demo --init-only` writes it; returns the config path.
pub(crate) fn write_config(root: &Path, city: &str, data: &str) -> PathBuf {
    let pki = Pki::init(&root.join("pki"), "lianluo").expect("pki");
    for c in ["hezhou", "qingyuan"] {
        pki.ensure_city(c, &[]).expect("city");
    }
    if !root
        .join(format!("pki/{city}/users/coordinator.pem"))
        .exists()
    {
        pki.issue_user(city, "coordinator", 30).expect("user");
    }
    let peer = if city == "hezhou" {
        "qingyuan"
    } else {
        "hezhou"
    };
    let dir = root.join(city);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let unreachable: std::net::SocketAddr = ([127, 0, 0, 1], 1).into();
    let text = crate::config::NodeToml {
        city,
        data_dir: data,
        api: any,
        federation: any,
        http: None,
        peers: &[(peer, unreachable)],
    }
    .render();
    let path = dir.join(format!("{data}.toml"));
    std::fs::write(&path, text).expect("write config");
    path
}

fn load(path: &Path) -> Config {
    config::load(path).expect("config")
}

/// A request as it arrives over mutual TLS from the city's coordinator.
/// Opens a data dir as a node would (upgrading an old one).
pub(crate) fn open_store(
    dir: &Path,
    city: &str,
) -> Result<Arc<dyn crate::store::Store>, crate::store::StoreError> {
    crate::upgrade::open(dir, city, crate::store::StoreOptions::default())
}

pub(crate) fn request<T>(root: &Path, city: &str, msg: T) -> tonic::Request<T> {
    let der = lianluo_certs::read_cert_der(&root.join(format!("pki/{city}/users/coordinator.pem")))
        .expect("user cert");
    let mut req = tonic::Request::new(msg);
    req.extensions_mut().insert(TlsConnectInfo {
        remote_addr: "127.0.0.1:50000".parse().expect("addr"),
        peer_certs: Some(Arc::new(vec![der.into()])),
    });
    req
}

/// Creates two records (one in Chinese, shared with qingyuan) and advances one.
async fn fill(root: &Path, state: &Arc<NodeState>) -> Vec<Record> {
    lianluo_federation::crypto::install_crypto_provider();
    let svc = RecordsService::new(state.clone());
    let station = |name: &str| Change {
        kind: Some(change::Kind::StationRegistered(
            lianluo_proto::StationRegistered {
                name: name.to_string(),
                township: "八步区贺街镇".into(),
                county: "八步区".into(),
                ..Default::default()
            },
        )),
    };
    let mut out = Vec::new();
    for (i, name) in ["贺街—连山联合联络站", "Joint station 2"]
        .iter()
        .enumerate()
    {
        let rec = svc
            .create(request(
                root,
                "hezhou",
                CreateRequest {
                    request_id: format!("r{i}"),
                    change: Some(station(name)),
                    partners: vec!["qingyuan".into()],
                },
            ))
            .await
            .expect("create")
            .into_inner();
        out.push(rec);
    }
    let closed = svc
        .act(request(
            root,
            "hezhou",
            ActRequest {
                record_id: out[1].id.clone(),
                change: Some(Change {
                    kind: Some(change::Kind::StationClosed(lianluo_proto::StationClosed {
                        reason: "合并".into(),
                    })),
                }),
            },
        ))
        .await
        .expect("act")
        .into_inner();
    out[1] = closed;
    out
}

/// A node of hezhou with some records, stopped; returns its config and its views.
async fn stopped_node(root: &Path) -> (Config, Vec<Record>, String) {
    let cfg = load(&write_config(root, "hezhou", "data"));
    let state = crate::server::open_state(cfg.clone()).await.expect("state");
    let made = fill(root, &state).await;
    let views = crate::render::all(state.store.as_ref(), crate::state::today()).expect("records");
    assert_eq!(views.len(), made.len());
    let log_id = state.store.meta().log_id.clone();
    state.flusher.shutdown().await.expect("shutdown");
    drop(state);
    (cfg, views, log_id)
}

fn views_of(cfg: &Config) -> (Vec<Record>, String, u64) {
    let store = open_store(&cfg.data_dir, &cfg.city).expect("open");
    let views = crate::render::all(store.as_ref(), crate::state::today()).expect("records");
    (
        views,
        store.meta().log_id.clone(),
        store.last_seq().expect("seq"),
    )
}

#[tokio::test]
async fn backup_restore_into_a_fresh_dir_gives_the_same_records_and_a_new_log_id() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (cfg, views, log_id) = stopped_node(tmp.path()).await;
    let out = tmp.path().join("hezhou.backup");
    let sum = backup(&cfg, &out, &BackupOptions::default()).expect("backup");
    assert_eq!(
        (sum.events, sum.last_seq, sum.city.as_str()),
        (3, 3, "hezhou")
    );
    assert_eq!(sum.size, std::fs::metadata(&out).expect("stat").len());
    assert_eq!(sum.log_id, log_id);
    let e = backup(&cfg, &out, &BackupOptions::default()).expect_err("exists");
    assert!(matches!(e, BackupError::OutExists { .. }), "{e}");

    let fresh = load(&write_config(tmp.path(), "hezhou", "fresh"));
    let restored = restore(&fresh, &out, &RestoreOptions::default()).expect("restore");
    assert_eq!((restored.events, restored.records), (3, 2));
    assert_eq!(restored.moved_aside, None);
    assert_eq!(restored.backup_log_id, log_id);
    let (back, new_log_id, last_seq) = views_of(&fresh);
    assert_eq!(back, views, "restored views differ");
    assert!(back.iter().any(|r| r.title == "贺街—连山联合联络站"));
    assert_ne!(new_log_id, log_id);
    assert_eq!(new_log_id, restored.log_id);
    assert_eq!(last_seq, 3);
    // The backup's signer certificates are kept in the new store.
    let kept = open_store(&fresh.data_dir, "hezhou")
        .expect("open")
        .signer_certs()
        .expect("certs");
    let own = lianluo_certs::read_cert_der(&fresh.tls.signer_cert).expect("signer");
    assert!(kept.contains(&own), "own signer certificate not kept");
    // No staging or temp leftovers next to the data dirs.
    let mut names: Vec<_> = std::fs::read_dir(tmp.path().join("hezhou"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["data", "data.toml", "fresh", "fresh.toml"]);

    // The restored node runs and serves its records.
    let state = crate::server::open_state(fresh)
        .await
        .expect("restored node opens");
    let id = crate::domain::RecordId::parse(&views[1].id).expect("id");
    let rec = state.store.record(&id).expect("read").expect("present");
    let rec = rec.state.expect("state");
    assert_eq!(rec.status_str(), views[1].status);
}

#[tokio::test]
async fn backup_refuses_a_running_node_and_restore_refuses_another_city() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (cfg, _, _) = stopped_node(tmp.path()).await;
    let running = open_store(&cfg.data_dir, &cfg.city).expect("hold the lock");
    let out = tmp.path().join("b");
    let e = backup(&cfg, &out, &BackupOptions::default()).expect_err("locked");
    assert!(e.to_string().contains("stop the node first"), "{e}");
    assert!(!out.exists());
    drop(running);
    backup(&cfg, &out, &BackupOptions::default()).expect("backup");

    let other = load(&write_config(tmp.path(), "qingyuan", "data"));
    let e = restore(&other, &out, &RestoreOptions { force: true }).expect_err("city");
    assert!(matches!(e, BackupError::WrongCity { .. }), "{e}");
    assert!(e.to_string().contains("hezhou"), "{e}");
    assert!(!other.data_dir.exists(), "nothing written for another city");

    let empty = load(&write_config(tmp.path(), "hezhou", "nothing"));
    let e = backup(&empty, &tmp.path().join("c"), &BackupOptions::default()).expect_err("none");
    assert!(matches!(e, BackupError::NoData { .. }), "{e}");
}

#[tokio::test]
async fn restore_moves_a_non_empty_dir_aside_only_with_force() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (cfg, views, log_id) = stopped_node(tmp.path()).await;
    let out = tmp.path().join("b");
    backup(&cfg, &out, &BackupOptions::default()).expect("backup");

    let e = restore(&cfg, &out, &RestoreOptions::default()).expect_err("not empty");
    assert!(matches!(e, BackupError::NotEmpty { .. }), "{e}");
    assert!(e.to_string().contains("--force"), "{e}");
    assert_eq!(views_of(&cfg).1, log_id, "data dir untouched");

    let running = open_store(&cfg.data_dir, &cfg.city).expect("lock");
    let e = restore(&cfg, &out, &RestoreOptions { force: true }).expect_err("running");
    assert!(matches!(e, BackupError::NodeRunning { .. }), "{e}");
    drop(running);

    let sum = restore(&cfg, &out, &RestoreOptions { force: true }).expect("restore");
    let aside = sum.moved_aside.expect("moved aside");
    assert!(aside
        .file_name()
        .expect("name")
        .to_string_lossy()
        .starts_with("data.before-restore-"));
    let old = open_store(&aside, "hezhou").expect("old data kept");
    assert_eq!(old.meta().log_id, log_id);
    let (back, new_log_id, _) = views_of(&cfg);
    assert_eq!(back, views);
    assert_ne!(new_log_id, log_id);
}

/// Rewrites a backup with event `index` (0-based) changed by `tamper`, with a valid
/// checksum, so only the signature check can notice.
fn rewrite(from: &Path, to: &Path, index: u64, tamper: impl Fn(&mut lianluo_proto::SignedEvent)) {
    let file = std::fs::File::open(from).expect("open");
    let mut r = Reader::open(std::io::BufReader::new(file)).expect("reader");
    let header: Header = r.header.clone();
    let mut w = Writer::start(Vec::new(), &header).expect("writer");
    for _ in 0..header.signer_certs {
        w.cert(&r.cert().expect("cert")).expect("write");
    }
    for i in 0..header.events {
        let mut e = r.event().expect("event");
        if i == index {
            tamper(&mut e);
        }
        w.event(&e).expect("write");
    }
    std::fs::write(to, w.finish().expect("finish")).expect("write file");
}

#[tokio::test]
async fn restore_reports_a_tampered_backup_and_imports_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (cfg, _, _) = stopped_node(tmp.path()).await;
    let out = tmp.path().join("b");
    backup(&cfg, &out, &BackupOptions::default()).expect("backup");
    let fresh = load(&write_config(tmp.path(), "hezhou", "fresh"));

    // A byte flipped in the file: caught by the signature or the checksum.
    let bytes = std::fs::read(&out).expect("read");
    let mut flipped = bytes.clone();
    let at = bytes.len() - 32 - 40; // inside the last event
    flipped[at] ^= 0x20;
    let damaged = tmp.path().join("damaged");
    std::fs::write(&damaged, &flipped).expect("write");
    let e = restore(&fresh, &damaged, &RestoreOptions::default()).expect_err("damaged");
    let msg = e.to_string();
    assert!(msg.contains("nothing was restored"), "{msg}");
    assert!(
        !fresh.data_dir.exists(),
        "data dir created despite the failure"
    );

    // A changed body with a recomputed checksum: only the signature can tell.
    let forged = tmp.path().join("forged");
    rewrite(&out, &forged, 1, |e| {
        let n = e.body.len();
        e.body[n / 2] ^= 0x01;
    });
    let e = restore(&fresh, &forged, &RestoreOptions::default()).expect_err("forged");
    assert!(matches!(e, BackupError::BadEvent { index: 2, .. }), "{e}");
    assert!(!fresh.data_dir.exists());
    // No staging dir left behind.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("hezhou"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("restoring"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Truncated.
    let short = tmp.path().join("short");
    std::fs::write(&short, &bytes[..bytes.len() - 50]).expect("write");
    let e = restore(&fresh, &short, &RestoreOptions::default()).expect_err("short");
    assert!(e.to_string().contains("truncated"), "{e}");
    restore(&fresh, &out, &RestoreOptions::default()).expect("the intact backup restores");
}

#[tokio::test]
async fn backup_reports_events_whose_signer_certificate_is_missing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (cfg, _, _) = stopped_node(tmp.path()).await;
    // A config naming qingyuan's signer as its own cannot vouch for hezhou's events.
    let mut wrong = cfg.clone();
    wrong.tls.signer_cert = tmp.path().join("pki/qingyuan/signer.pem");
    wrong.peers.clear();
    let e = backup(&wrong, &tmp.path().join("b"), &BackupOptions::default()).expect_err("missing");
    assert!(
        matches!(e, BackupError::MissingSigners { count: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("--signer-cert"), "{e}");
    let opts = BackupOptions {
        signer_certs: vec![tmp.path().join("pki/hezhou/signer.pem")],
        ..BackupOptions::default()
    };
    backup(&wrong, &tmp.path().join("b"), &opts).expect("with --signer-cert");

    // Certificates the store kept (learnt from peers) are included without being named.
    let hezhou =
        lianluo_certs::read_cert_der(&tmp.path().join("pki/hezhou/signer.pem")).expect("cert");
    open_store(&cfg.data_dir, "hezhou")
        .expect("open")
        .add_signer_certs(&[hezhou])
        .expect("keep");
    let sum = backup(&wrong, &tmp.path().join("c"), &BackupOptions::default()).expect("kept");
    assert_eq!(sum.signer_certs, 2);
}
