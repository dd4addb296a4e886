//! `lianluo tls …`: create and maintain the PKI directory (federation root CA, per-city
//! node/signer certificates and user CAs, user certificates, CRLs) with
//! [`lianluo_certs::Pki`], and show what a certificate file holds.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use lianluo_certs::pki::{CRL_VALID_DAYS, MAX_USER_DAYS};
use lianluo_certs::{CertInfo, Pki};
use time::OffsetDateTime;

/// The `lianluo tls` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TlsCommand {
    /// Create the federation root CA (idempotent).
    #[command(long_about = "Create the federation root CA in a PKI directory.

Writes <pki>/root-ca.pem and root-ca.key (ECDSA P-256, 10 years; the key with mode 0600), \
an empty CRL <pki>/root-ca.crl.pem and the trust domain in <pki>/trust-domain. The root CA \
issues every city's node and signer certificates.

Idempotent: when the root CA already exists it is kept, never replaced. A directory \
created for one trust domain refuses another.

Example: lianluo tls init --pki ./pki")]
    Init {
        /// PKI directory (created if missing).
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// SPIFFE trust domain of every identity issued from this PKI.
        #[arg(long, value_name = "TD", default_value = lianluo_certs::spiffe::DEFAULT_TRUST_DOMAIN)]
        trust_domain: String,
    },
    /// Issue a city's node and signer certificates and create its user CA (idempotent).
    #[command(long_about = "Issue a city's certificates.

Writes, under <pki>/<city>/:
  node.pem node.key        TLS server+client certificate, SAN spiffe://<td>/city/<city>/node,
                           DNS localhost, IP 127.0.0.1 and every --host (1 year)
  signer.pem signer.key    event signing certificate, SAN spiffe://<td>/city/<city>/signer,
                           no TLS use (1 year)
  user-ca.pem user-ca.key  the city's own user CA for its staff and dashboards (10 years)
  user-ca.crl.pem          its CRL (empty)

Existing files are kept, so the command can be re-run safely. A --host the kept node \
certificate lacks is reported; remove node.pem and node.key and run again to reissue it.

City ids: 2 to 32 characters a-z, 0-9 and '-', starting with a letter (e.g. hezhou).

Example: lianluo tls city --pki ./pki --city hezhou --host hezhou.lianluo.internal --host 10.0.0.7")]
    City {
        /// PKI directory made by `lianluo tls init`.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// City id, e.g. hezhou.
        #[arg(long, value_name = "CITY")]
        city: String,
        /// Extra host name or IP address for the node certificate (repeatable).
        #[arg(long = "host", value_name = "HOST")]
        hosts: Vec<String>,
    },
    /// Issue a user certificate from a city's user CA.
    #[command(long_about = "Issue a user certificate (TLS client authentication).

Writes <pki>/<city>/users/<name>.pem and <name>.key (key mode 0600), SAN \
spiffe://<td>/city/<city>/user/<name>, signed by the city's user CA, so only that city's \
node accepts it. What the user may do is the node's role config, not the certificate.

An existing user is not overwritten unless --force is given; the old certificate stays \
valid until revoked with `lianluo tls revoke`.

User names: 1 to 64 characters a-z, 0-9, '.', '_' and '-', starting with a letter or digit.

Example: lianluo tls user --pki ./pki --city hezhou --name li.wei --days 365")]
    User {
        /// PKI directory made by `lianluo tls init`.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// City id whose user CA signs the certificate (run `lianluo tls city` first).
        #[arg(long, value_name = "CITY")]
        city: String,
        /// User name, e.g. li.wei.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Validity in days (1 to 3650).
        #[arg(long, value_name = "DAYS", default_value_t = 365)]
        days: u32,
        /// Replace an existing certificate and key for this user.
        #[arg(long)]
        force: bool,
    },
    /// Revoke a certificate and regenerate its CA's CRL.
    #[command(long_about = "Revoke a node, signer or user certificate.

Finds the CA of this PKI that issued the certificate (the root CA for node and signer \
certificates, the city's user CA for user certificates), adds its serial to that CA's \
revoked list (<ca>.revoked) and regenerates the CA's CRL (<ca>.crl.pem). Give the new \
CRL to every node that trusts this CA; nodes reload CRL files without a restart.

Example: lianluo tls revoke --pki ./pki --cert ./pki/hezhou/users/li.wei.pem")]
    Revoke {
        /// PKI directory made by `lianluo tls init`.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// The certificate file (PEM) to revoke.
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
    },
    /// Regenerate every CRL (run well before the 30-day next-update passes).
    #[command(long_about = "Regenerate every CRL of the PKI.

Re-signs <pki>/root-ca.crl.pem and each <pki>/<city>/user-ca.crl.pem from the revoked \
lists with a next-update time 30 days ahead and a higher CRL number. A CRL past its \
next-update time is stale: run this regularly (e.g. weekly) and distribute the files.

Example: lianluo tls crl --pki ./pki")]
    Crl {
        /// PKI directory made by `lianluo tls init`.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
    },
    /// Print a certificate's SPIFFE id, serial, issuer, validity and SHA-256.
    #[command(
        long_about = "Print what a certificate file (PEM) holds: SPIFFE id, subject, \
whether it is a CA, serial, issuer, validity (and whether it is in force now) and the \
SHA-256 fingerprint of its DER form (the value events carry as signer_cert_sha256).

Example: lianluo tls show ./pki/hezhou/signer.pem"
    )]
    Show {
        /// Certificate file (PEM).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Runs a `lianluo tls` subcommand, printing what it wrote to standard output.
pub fn run(cmd: TlsCommand) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(cmd, &mut out)
}

/// Runs a subcommand, printing to `out`.
fn run_to(cmd: TlsCommand, out: &mut dyn Write) -> Result<()> {
    match cmd {
        TlsCommand::Init { pki, trust_domain } => init(&pki, &trust_domain, out),
        TlsCommand::City { pki, city, hosts } => city_cmd(&pki, &city, &hosts, out),
        TlsCommand::User {
            pki,
            city,
            name,
            days,
            force,
        } => user(&pki, &city, &name, days, force, out),
        TlsCommand::Revoke { pki, cert } => revoke(&pki, &cert, out),
        TlsCommand::Crl { pki } => crl(&pki, out),
        TlsCommand::Show { file } => show(&file, out),
    }
}

/// Prints `created` or `kept` for each path.
fn report(out: &mut dyn Write, paths: &[&Path], created: &[PathBuf]) -> Result<()> {
    for path in paths {
        let verb = if created.iter().any(|c| c == path) {
            "created"
        } else {
            "kept   "
        };
        writeln!(out, "{verb} {}", path.display())?;
    }
    Ok(())
}

fn init(dir: &Path, trust_domain: &str, out: &mut dyn Write) -> Result<()> {
    let (_, files) = Pki::init_with_report(dir, trust_domain)
        .with_context(|| format!("cannot initialise the PKI in {}", dir.display()))?;
    let paths = [
        &*files.trust_domain_file,
        &*files.key,
        &*files.cert,
        &*files.crl,
    ];
    report(out, &paths, &files.created)?;
    writeln!(out, "trust domain: {trust_domain}")?;
    writeln!(
        out,
        "next: lianluo tls city --pki {} --city <city>",
        dir.display()
    )?;
    Ok(())
}

fn city_cmd(dir: &Path, city: &str, hosts: &[String], out: &mut dyn Write) -> Result<()> {
    let pki = Pki::open(dir)?;
    let files = pki
        .ensure_city(city, hosts)
        .with_context(|| format!("cannot issue the certificates of city {city}"))?;
    let paths = [
        &*files.node.key,
        &*files.node.cert,
        &*files.signer.key,
        &*files.signer.cert,
        &*files.user_ca_key,
        &*files.user_ca_cert,
        &*files.user_ca_crl,
    ];
    report(out, &paths, &files.created)?;
    if !files.missing_hosts.is_empty() {
        writeln!(
            out,
            "warning: the kept node certificate {} lacks host(s) {}; remove it and {} and \
             run again to reissue it",
            files.node.cert.display(),
            files.missing_hosts.join(", "),
            files.node.key.display()
        )?;
    }
    Ok(())
}

fn user(
    dir: &Path,
    city: &str,
    name: &str,
    days: u32,
    force: bool,
    out: &mut dyn Write,
) -> Result<()> {
    anyhow::ensure!(
        (1..=MAX_USER_DAYS).contains(&days),
        "--days {days} is out of range; give 1 to {MAX_USER_DAYS}"
    );
    let pki = Pki::open(dir)?;
    let issued = if force {
        pki.reissue_user(city, name, days)
    } else {
        pki.issue_user(city, name, days)
    }
    .with_context(|| format!("cannot issue a certificate for user {name} of {city}"))?;
    writeln!(out, "created {}", issued.files.key.display())?;
    writeln!(out, "created {}", issued.files.cert.display())?;
    writeln!(out, "spiffe id: {}", issued.spiffe)?;
    writeln!(out, "serial:    {}", issued.serial)?;
    writeln!(out, "not after: {}", rfc3339(issued.not_after))?;
    writeln!(out, "issuer:    {}", issued.user_ca_cert.display())?;
    Ok(())
}

fn revoke(dir: &Path, cert: &Path, out: &mut dyn Write) -> Result<()> {
    let pki = Pki::open(dir)?;
    let revoked = pki
        .revoke(cert)
        .with_context(|| format!("cannot revoke {}", cert.display()))?;
    let who = revoked
        .spiffe
        .as_ref()
        .map_or_else(|| "(no spiffe id)".to_string(), ToString::to_string);
    if revoked.already_revoked {
        writeln!(out, "already revoked: serial {} ({who})", revoked.serial)?;
    } else {
        writeln!(out, "revoked serial {} ({who})", revoked.serial)?;
    }
    writeln!(out, "issuer:  {}", revoked.ca_cert.display())?;
    writeln!(
        out,
        "wrote   {} (CRL number {}, valid {CRL_VALID_DAYS} days)",
        revoked.crl.display(),
        revoked.crl_number
    )?;
    writeln!(out, "give the new CRL to every node that trusts this CA")?;
    Ok(())
}

fn crl(dir: &Path, out: &mut dyn Write) -> Result<()> {
    let pki = Pki::open(dir)?;
    let written = pki.refresh_crls().context("cannot regenerate the CRLs")?;
    for path in written {
        writeln!(
            out,
            "wrote {} (valid {CRL_VALID_DAYS} days)",
            path.display()
        )?;
    }
    Ok(())
}

fn show(file: &Path, out: &mut dyn Write) -> Result<()> {
    let info = CertInfo::from_pem_file(file)?;
    let now = OffsetDateTime::now_utc();
    let status = if now < info.not_before {
        "NOT YET VALID"
    } else if now > info.not_after {
        "EXPIRED"
    } else {
        "in force"
    };
    writeln!(out, "file:       {}", file.display())?;
    writeln!(out, "{info}")?;
    writeln!(out, "status:     {status}")?;
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: TlsCommand,
    }

    /// Parses `args` as a `lianluo tls` command line and runs it, returning its output.
    fn tls(args: &[&str]) -> Result<String> {
        let cli = Cli::try_parse_from(std::iter::once("tls").chain(args.iter().copied()))?;
        let mut out = Vec::new();
        run_to(cli.cmd, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
        let err = tls(&["user", "--pki", "x", "--city", "hezhou"]).unwrap_err();
        assert!(err.to_string().contains("--name"), "{err}");
    }

    #[test]
    fn init_city_user_revoke_crl_show() {
        let tmp = tempfile::tempdir().unwrap();
        let pki = tmp.path().join("pki");
        let p = pki.to_str().unwrap();

        let out = tls(&["init", "--pki", p]).unwrap();
        assert!(
            out.contains(&format!("created {}", pki.join("root-ca.key").display())),
            "{out}"
        );
        let out = tls(&["init", "--pki", p]).unwrap();
        assert!(
            !out.contains("created"),
            "second init keeps everything: {out}"
        );

        let out = tls(&["city", "--pki", p, "--city", "hezhou", "--host", "10.0.0.7"]).unwrap();
        assert!(
            out.contains(&format!(
                "created {}",
                pki.join("hezhou/node.pem").display()
            )),
            "{out}"
        );
        let out = tls(&[
            "city",
            "--pki",
            p,
            "--city",
            "hezhou",
            "--host",
            "new.example",
        ])
        .unwrap();
        assert!(out.contains("lacks host(s) new.example"), "{out}");

        let user_pem = pki.join("hezhou/users/li.wei.pem");
        let out = tls(&[
            "user", "--pki", p, "--city", "hezhou", "--name", "li.wei", "--days", "7",
        ])
        .unwrap();
        assert!(
            out.contains("spiffe id: spiffe://lianluo/city/hezhou/user/li.wei"),
            "{out}"
        );
        assert!(user_pem.exists());
        let err = tls(&["user", "--pki", p, "--city", "hezhou", "--name", "li.wei"]).unwrap_err();
        assert!(format!("{err:#}").contains("pass --force"), "{err:#}");
        tls(&[
            "user", "--pki", p, "--city", "hezhou", "--name", "li.wei", "--force",
        ])
        .unwrap();

        let serial = CertInfo::from_pem_file(&user_pem).unwrap().serial;
        let out = tls(&["revoke", "--pki", p, "--cert", user_pem.to_str().unwrap()]).unwrap();
        assert!(out.contains(&format!("revoked serial {serial}")), "{out}");
        assert!(out.contains("user-ca.crl.pem (CRL number 2"), "{out}");

        let out = tls(&["crl", "--pki", p]).unwrap();
        assert_eq!(out.lines().count(), 2, "{out}");

        let out = tls(&["show", user_pem.to_str().unwrap()]).unwrap();
        assert!(
            out.contains("spiffe id:  spiffe://lianluo/city/hezhou/user/li.wei"),
            "{out}"
        );
        assert!(out.contains(&format!("serial:     {serial}")), "{out}");
        assert!(out.contains("issuer:     Lianluo hezhou user CA"), "{out}");
        assert!(out.contains("status:     in force"), "{out}");
    }

    #[test]
    fn errors_say_what_to_do() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("none");
        let err = tls(&["city", "--pki", p.to_str().unwrap(), "--city", "hezhou"]).unwrap_err();
        assert!(
            format!("{err:#}").contains("run `lianluo tls init --pki"),
            "{err:#}"
        );
        let err = tls(&[
            "user", "--pki", "x", "--city", "hezhou", "--name", "a", "--days", "0",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("give 1 to 3650"), "{err}");
    }
}
