//! Who may talk to a node: hezhou's federation service lets in only valid node
//! certificates of its configured peers, chained to the federation root CA and not
//! revoked (foreign CA, revoked, expired, user and non-peer certificates are all refused),
//! and its client API refuses node certificates. Real node process, real certificates.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use lianluo_certs::{CertInfo, LeafFiles, Pki, SpiffeId};
use lianluo_federation::tls::TlsFiles;
use lianluo_tests::fake_peer::{node_files, server_refused, sync_probe, TRUST_DOMAIN};
use lianluo_tests::{check_ok, eventually, lianluo, Cli, Federation};

/// The node re-reads its CRLs every couple of seconds; allow for a slow machine.
const CRL_RELOAD: Duration = Duration::from_secs(20);

/// `files` as a client of a node whose server certificate chains to the real root CA.
fn client(files: &LeafFiles, pki: &Path) -> TlsFiles {
    TlsFiles {
        cert: files.cert.clone(),
        key: files.key.clone(),
        ca: pki.join("root-ca.pem"),
        crls: Vec::new(),
    }
}

fn leaf(dir: &Path, name: &str) -> LeafFiles {
    LeafFiles {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    }
}

/// Requires that hezhou refuses a `Sync` call with `files` (its TLS alert, or a
/// permission error), not that the call failed for a local reason; returns why.
fn refused(endpoint: &str, what: &str, files: &TlsFiles) -> Result<String> {
    match sync_probe(endpoint, files, "hezhou") {
        Ok(()) => bail!("{what} ({}) was let in", files.cert.display()),
        Err(e) if server_refused(&e) => Ok(format!("{e:#}")),
        Err(e) => bail!("{what}: the probe failed, but not by hezhou refusing it: {e:#}"),
    }
}

/// The reason hezhou refuses `files`, or `None` while it still lets them in.
fn refusal(endpoint: &str, files: &TlsFiles) -> Option<String> {
    let err = sync_probe(endpoint, files, "hezhou").err()?;
    server_refused(&err).then(|| format!("{err:#}"))
}

#[test]
fn federation_refuses_foreign_revoked_expired_user_and_non_peer_certificates() -> Result<()> {
    let fed = Federation::init()?;
    let dir = fed.dir().join("pki");
    let hezhou = fed.start("hezhou")?;
    let endpoint = format!("https://{}", hezhou.federation);
    let pki = Pki::open(&dir)?;
    let work = tempfile::tempdir()?;
    let qingyuan = SpiffeId::node(TRUST_DOMAIN, "qingyuan")?;

    sync_probe(&endpoint, &node_files(&dir, "qingyuan"), "hezhou")
        .context("control: qingyuan's own node certificate must be let in")?;

    // Same issuer name as the root CA, different key.
    let foreign = leaf(work.path(), "foreign");
    pki.foreign_leaf(&qingyuan, &foreign)?;
    let why = refused(
        &endpoint,
        "a foreign-CA node certificate",
        &client(&foreign, &dir),
    )?;
    eprintln!("foreign CA: {why}");

    // A whole other federation with its own root CA.
    let other_dir = work.path().join("other-pki");
    let other = Pki::init(&other_dir, TRUST_DOMAIN)?;
    other.ensure_city("qingyuan", &[])?;
    let other_files = TlsFiles {
        ca: dir.join("root-ca.pem"),
        crls: Vec::new(),
        ..node_files(&other_dir, "qingyuan")
    };
    let why = refused(
        &endpoint,
        "another federation's node certificate",
        &other_files,
    )?;
    eprintln!("other federation: {why}");

    // Expired: issued by the real root CA, valid two years ago to a year ago.
    let template = CertInfo::from_pem_file(&dir.join("qingyuan").join("node.pem"))?;
    let day1 = template.not_before.replace_day(1)?;
    let expired = leaf(work.path(), "expired");
    pki.issue_with_validity(
        &qingyuan,
        day1.replace_year(day1.year() - 2)?,
        day1.replace_year(day1.year() - 1)?,
        &expired,
    )?;
    let why = refused(
        &endpoint,
        "an expired node certificate",
        &client(&expired, &dir),
    )?;
    eprintln!("expired: {why}");

    // User certificates, of hezhou itself and of a peer city.
    for city in ["hezhou", "qingyuan"] {
        let user = pki.user_paths(city, "coordinator")?;
        let why = refused(&endpoint, "a user certificate", &client(&user, &dir))?;
        eprintln!("{city} user: {why}");
    }

    // A valid node certificate of a city that is not a configured peer.
    pki.ensure_city("guilin", &[])?;
    let why = refused(
        &endpoint,
        "a non-peer node certificate",
        &node_files(&dir, "guilin"),
    )?;
    eprintln!("non-peer: {why}");

    revoked_certificates_are_refused_after_reload(&endpoint, &pki, &dir, &template, work.path())
}

/// A second, currently valid qingyuan node certificate is let in, then revoked with
/// `lianluo tls revoke` and refused once hezhou reloads the CRL, while the real one still
/// works; then the real one is revoked too.
fn revoked_certificates_are_refused_after_reload(
    endpoint: &str,
    pki: &Pki,
    dir: &Path,
    template: &CertInfo,
    work: &Path,
) -> Result<()> {
    let qingyuan = SpiffeId::node(TRUST_DOMAIN, "qingyuan")?;
    let second = leaf(work, "second");
    pki.issue_with_validity(&qingyuan, template.not_before, template.not_after, &second)?;
    sync_probe(endpoint, &client(&second, dir), "hezhou")
        .context("control: a second valid qingyuan node certificate must be let in")?;
    let revoke = |cert: &Path| -> Result<()> {
        let pki_arg = dir.display().to_string();
        let cert_arg = cert.display().to_string();
        let out = lianluo(&["tls", "revoke", "--pki", &pki_arg, "--cert", &cert_arg]);
        check_ok(&out, "lianluo tls revoke")
    };
    revoke(&second.cert)?;
    eventually(CRL_RELOAD, "the revoked certificate refused", || {
        refusal(endpoint, &client(&second, dir))
    })
    .map(|why| eprintln!("revoked: {why}"))?;
    sync_probe(endpoint, &node_files(dir, "qingyuan"), "hezhou")
        .context("the unrevoked qingyuan node certificate must still be let in")?;

    revoke(&dir.join("qingyuan").join("node.pem"))?;
    eventually(
        CRL_RELOAD,
        "qingyuan's revoked node certificate refused",
        || refusal(endpoint, &node_files(dir, "qingyuan")),
    )
    .map(|why| eprintln!("revoked node.pem: {why}"))
}

/// A CLI profile for hezhou's client API presenting `files`.
fn profile(fed: &Federation, api: &str, name: &str, files: &TlsFiles) -> Result<Cli> {
    let profile = fed.dir().join(format!("{name}.profile.toml"));
    std::fs::write(
        &profile,
        format!(
            "endpoint = \"https://{api}\"\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n",
            files.ca.display(),
            files.cert.display(),
            files.key.display()
        ),
    )?;
    Ok(Cli { profile })
}

#[test]
fn client_api_refuses_node_certificates() -> Result<()> {
    let fed = Federation::init()?;
    let dir = fed.dir().join("pki");
    let hezhou = fed.start("hezhou")?;
    // Control: the same kind of profile with a user certificate works.
    let user = pki_user(&dir, "hezhou", "coordinator");
    profile(&fed, &hezhou.api, "coordinator", &user)?
        .json(&["list"])
        .context("control: the coordinator's certificate must be let in")?;
    for city in ["qingyuan", "hezhou"] {
        let cli = profile(
            &fed,
            &hezhou.api,
            &format!("node-of-{city}"),
            &node_files(&dir, city),
        )?;
        let stderr = cli
            .fails(&["list", "--json"])
            .with_context(|| format!("{city}'s node certificate on hezhou's client api"))?;
        eprintln!("{city} node cert on client api: {stderr}");
    }
    Ok(())
}

fn pki_user(dir: &Path, city: &str, name: &str) -> TlsFiles {
    let users = dir.join(city).join("users");
    TlsFiles {
        cert: users.join(format!("{name}.pem")),
        key: users.join(format!("{name}.key")),
        ca: dir.join("root-ca.pem"),
        crls: Vec::new(),
    }
}
