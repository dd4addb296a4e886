//! Serial numbers: random, positive, 128 bits, unique within the PKI. Every issued
//! certificate is recorded in `<pki>/issued.tsv` (serial, SPIFFE id or `-` for a CA,
//! path relative to the PKI directory, not_after), which is what uniqueness is checked
//! against.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rcgen::SerialNumber;
use ring::rand::{SecureRandom, SystemRandom};
use time::OffsetDateTime;

use super::fs::{append_line, read_optional};
use crate::info::{hex, rfc3339};
use crate::CertError;

/// File name of the registry inside the PKI directory.
pub(crate) const ISSUED_FILE: &str = "issued.tsv";
const HEADER: &str = "# serial\tspiffe_id\tpath\tnot_after";
/// Draws before giving up; a collision among 2^127 values means a broken RNG.
const MAX_DRAWS: usize = 16;

/// A freshly drawn serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Serial {
    bytes: [u8; 16],
}

impl Serial {
    /// A random serial with the top bit clear and a non-zero first byte, so its DER form
    /// is positive and exactly 16 bytes.
    pub fn random() -> Result<Serial, CertError> {
        let rng = SystemRandom::new();
        loop {
            let mut bytes = [0u8; 16];
            rng.fill(&mut bytes).map_err(|_| CertError::Malformed {
                what: "system random number generator".into(),
                reason: "it failed to produce bytes for a serial number".into(),
            })?;
            bytes[0] &= 0x7f;
            if bytes[0] != 0 {
                return Ok(Serial { bytes });
            }
        }
    }

    /// For rcgen.
    pub fn number(&self) -> SerialNumber {
        SerialNumber::from_slice(&self.bytes)
    }

    /// Lowercase hex, 32 characters (the first byte is never zero).
    pub fn hex(&self) -> String {
        hex(&self.bytes)
    }
}

/// The `issued.tsv` registry of one PKI directory.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    dir: PathBuf,
}

impl Registry {
    pub fn new(pki_dir: &Path) -> Registry {
        Registry {
            dir: pki_dir.to_path_buf(),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.join(ISSUED_FILE)
    }

    /// Every serial recorded so far (lowercase hex).
    pub fn issued(&self) -> Result<HashSet<String>, CertError> {
        let path = self.path();
        let Some(text) = read_optional(&path)? else {
            return Ok(HashSet::new());
        };
        let mut set = HashSet::new();
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let serial = line.split('\t').next().unwrap_or_default();
            if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(CertError::malformed(
                    format!("registry {} line {}", path.display(), n + 1),
                    "the first column must be a hex serial; fix or remove the line",
                ));
            }
            set.insert(serial.to_ascii_lowercase());
        }
        Ok(set)
    }

    /// Draws a [`Serial::random`] not yet in the registry, re-drawing on collision.
    pub fn draw(&self) -> Result<Serial, CertError> {
        let issued = self.issued()?;
        for _ in 0..MAX_DRAWS {
            let serial = Serial::random()?;
            if !issued.contains(&serial.hex()) {
                return Ok(serial);
            }
        }
        Err(CertError::Malformed {
            what: "system random number generator".into(),
            reason: format!("{MAX_DRAWS} draws gave no fresh serial number"),
        })
    }

    /// Appends one issued certificate to the registry.
    pub fn record(
        &self,
        serial: &Serial,
        id: &str,
        cert_path: &Path,
        not_after: OffsetDateTime,
    ) -> Result<(), CertError> {
        let path = self.path();
        if !path.exists() {
            append_line(&path, HEADER)?;
        }
        let shown = cert_path.strip_prefix(&self.dir).unwrap_or(cert_path);
        let line = format!(
            "{}\t{id}\t{}\t{}",
            serial.hex(),
            shown.display(),
            rfc3339(not_after)
        );
        append_line(&path, &line)
    }
}
