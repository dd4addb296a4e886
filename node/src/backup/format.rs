//! The backup file format, version 1:
//!
//! ```text
//! LIANLUO-BACKUP 1\n                      magic line
//! {"city":…,"events":N,…}\n               JSON header (see [`Header`])
//! signer_certs × (varint length, DER)     the signer certificates that signed the events
//! events × SignedEvent                    prost `encode_length_delimited`, in log order
//! 32 bytes                                SHA-256 of every byte before it
//! ```
//!
//! The trailing checksum catches truncation and accidental damage; a deliberate change is
//! caught anyway, because every event is verified against its signer on restore.

use std::io::{self, BufRead, Read, Write};

use lianluo_proto::SignedEvent;
use prost::Message;
use ring::digest::{Context, SHA256, SHA256_OUTPUT_LEN};
use serde::{Deserialize, Serialize};

/// First line of every backup file.
pub const MAGIC: &str = "LIANLUO-BACKUP";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest accepted length of one certificate or event (a damaged length must not make
/// the reader allocate gigabytes).
pub const MAX_ITEM_BYTES: u64 = 64 * 1024 * 1024;
/// Longest accepted header line.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// The JSON header line: what the backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// City whose node was backed up.
    pub city: String,
    /// The backed-up node's log id (the restored node gets a new one).
    pub log_id: String,
    /// Store schema version of the backed-up data dir.
    pub schema_version: u32,
    /// Highest log seq at backup time.
    pub last_seq: u64,
    /// Number of events that follow the certificates.
    pub events: u64,
    /// Number of signer certificates that follow the header.
    pub signer_certs: u64,
    /// RFC 3339 time the backup was taken.
    pub created_at: String,
    /// Version of lianluo that wrote the backup.
    pub lianluo_version: String,
}

/// Why a backup file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Reading failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The bytes are not what the format says.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> FormatError {
    FormatError::Invalid(msg.into())
}

/// Writes a backup, hashing everything written so [`Writer::finish`] can append the
/// checksum.
pub struct Writer<W: Write> {
    inner: W,
    digest: Context,
}

impl<W: Write> Writer<W> {
    /// Starts a backup on `inner` with the magic line and `header`.
    pub fn start(inner: W, header: &Header) -> io::Result<Self> {
        let mut w = Self {
            inner,
            digest: Context::new(&SHA256),
        };
        let json = serde_json::to_string(header).map_err(io::Error::other)?;
        w.put(format!("{MAGIC} {FORMAT_VERSION}\n{json}\n").as_bytes())?;
        Ok(w)
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.digest.update(bytes);
        self.inner.write_all(bytes)
    }

    /// Appends one length-delimited DER certificate.
    pub fn cert(&mut self, der: &[u8]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(der.len() + 10);
        prost::encoding::encode_varint(der.len() as u64, &mut buf);
        buf.extend_from_slice(der);
        self.put(&buf)
    }

    /// Appends one length-delimited event.
    pub fn event(&mut self, event: &SignedEvent) -> io::Result<()> {
        self.put(&event.encode_length_delimited_to_vec())
    }

    /// Appends the checksum and returns the underlying writer (not yet synced).
    pub fn finish(mut self) -> io::Result<W> {
        let sum = self.digest.clone().finish();
        self.inner.write_all(sum.as_ref())?;
        Ok(self.inner)
    }
}

/// Reads a backup written by [`Writer`], checking the checksum at the end.
pub struct Reader<R: BufRead> {
    inner: R,
    digest: Context,
    /// The header of the file.
    pub header: Header,
}

impl<R: BufRead> Reader<R> {
    /// Reads and checks the magic line and the header.
    pub fn open(mut inner: R) -> Result<Self, FormatError> {
        let mut digest = Context::new(&SHA256);
        let magic = read_line(&mut inner, &mut digest)?;
        let version = magic
            .strip_prefix(MAGIC)
            .and_then(|v| v.strip_prefix(' '))
            .ok_or_else(|| invalid(format!("it does not start with {MAGIC:?}")))?;
        if version != FORMAT_VERSION.to_string() {
            return Err(invalid(format!(
                "backup format version {version:?} is not supported by this build \
                 (it reads version {FORMAT_VERSION}); use the lianluo release that wrote it"
            )));
        }
        let line = read_line(&mut inner, &mut digest)?;
        let header: Header = serde_json::from_str(&line)
            .map_err(|e| invalid(format!("the header line is not valid: {e}")))?;
        Ok(Self {
            inner,
            digest,
            header,
        })
    }

    /// Reads every certificate and event the header announces, then the checksum: the
    /// whole file is a sound backup. Returns its header.
    pub fn verify(mut self) -> Result<Header, FormatError> {
        for _ in 0..self.header.signer_certs {
            self.cert()?;
        }
        for _ in 0..self.header.events {
            self.event()?;
        }
        let header = self.header.clone();
        self.finish()?;
        Ok(header)
    }

    /// Reads the next length-delimited certificate.
    pub fn cert(&mut self) -> Result<Vec<u8>, FormatError> {
        self.item("signer certificate")
    }

    /// Reads the next event.
    pub fn event(&mut self) -> Result<SignedEvent, FormatError> {
        let bytes = self.item("event")?;
        SignedEvent::decode(bytes.as_slice())
            .map_err(|e| invalid(format!("an event does not decode: {e}")))
    }

    fn item(&mut self, what: &str) -> Result<Vec<u8>, FormatError> {
        let len = self.varint(what)?;
        if len > MAX_ITEM_BYTES {
            return Err(invalid(format!(
                "a {what} claims {len} bytes (more than {MAX_ITEM_BYTES})"
            )));
        }
        let mut buf = vec![0u8; usize::try_from(len).map_err(|_| invalid("length overflow"))?];
        self.exact(&mut buf, what)?;
        Ok(buf)
    }

    fn varint(&mut self, what: &str) -> Result<u64, FormatError> {
        let mut value = 0u64;
        for i in 0..10 {
            let mut b = [0u8; 1];
            self.exact(&mut b, what)?;
            value |= u64::from(b[0] & 0x7f) << (7 * i);
            if b[0] & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(invalid(format!("the length of a {what} is malformed")))
    }

    fn exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), FormatError> {
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => invalid(format!(
                "the file ends in the middle of a {what} (truncated)"
            )),
            _ => FormatError::Io(e),
        })?;
        self.digest.update(buf);
        Ok(())
    }

    /// Checks the trailing checksum and that nothing follows it.
    pub fn finish(mut self) -> Result<(), FormatError> {
        let expected = self.digest.clone().finish();
        let mut sum = [0u8; SHA256_OUTPUT_LEN];
        self.inner
            .read_exact(&mut sum)
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => {
                    invalid("the file ends before its checksum (truncated)")
                }
                _ => FormatError::Io(e),
            })?;
        if sum != expected.as_ref() {
            return Err(invalid(
                "the checksum does not match the contents (the file is damaged)",
            ));
        }
        let mut rest = [0u8; 1];
        if self.inner.read(&mut rest)? != 0 {
            return Err(invalid("unexpected bytes after the checksum"));
        }
        Ok(())
    }
}

/// Reads one `\n`-terminated line (without the newline) into the digest.
fn read_line<R: BufRead>(inner: &mut R, digest: &mut Context) -> Result<String, FormatError> {
    let mut line = Vec::new();
    inner.take(MAX_HEADER_BYTES).read_until(b'\n', &mut line)?;
    if line.pop() != Some(b'\n') {
        return Err(invalid("a header line is missing or too long"));
    }
    digest.update(&line);
    digest.update(b"\n");
    String::from_utf8(line).map_err(|_| invalid("a header line is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            city: "hezhou".into(),
            log_id: "ab".repeat(16),
            schema_version: 1,
            last_seq: 2,
            events: 2,
            signer_certs: 1,
            created_at: "2025-01-01T00:00:00Z".into(),
            lianluo_version: "0.1.0".into(),
        }
    }

    fn event(n: u8) -> SignedEvent {
        SignedEvent {
            body: "事件".repeat(usize::from(n) * 100).into_bytes(),
            signature: vec![n; 70],
            signer_cert_sha256: "cd".repeat(32),
        }
    }

    fn sample() -> Vec<u8> {
        let mut w = Writer::start(Vec::new(), &header()).unwrap();
        w.cert(&[7u8; 300]).unwrap();
        w.event(&event(1)).unwrap();
        w.event(&event(2)).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn backup_format_round_trips() {
        let bytes = sample();
        assert!(bytes.starts_with(b"LIANLUO-BACKUP 1\n{"));
        let mut r = Reader::open(bytes.as_slice()).unwrap();
        assert_eq!(r.header, header());
        assert_eq!(r.cert().unwrap(), vec![7u8; 300]);
        assert_eq!(r.event().unwrap(), event(1));
        assert_eq!(r.event().unwrap(), event(2));
        r.finish().unwrap();
    }

    fn read_all(bytes: &[u8]) -> Result<(), FormatError> {
        let mut r = Reader::open(bytes)?;
        r.cert()?;
        r.event()?;
        r.event()?;
        r.finish()
    }

    #[test]
    fn backup_format_detects_damage_truncation_and_garbage() {
        let bytes = sample();
        let mut flipped = bytes.clone();
        let at = bytes.len() - 100;
        flipped[at] ^= 0x01;
        let e = read_all(&flipped).unwrap_err().to_string();
        assert!(e.contains("checksum"), "{e}");

        let e = read_all(&bytes[..bytes.len() - 10])
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated"), "{e}");
        let e = read_all(&bytes[..bytes.len() - 600])
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated"), "{e}");

        let mut longer = bytes.clone();
        longer.push(0);
        let e = read_all(&longer).unwrap_err().to_string();
        assert!(e.contains("after the checksum"), "{e}");

        let e = Reader::open(&b"PK\x03\x04 not a backup\n"[..])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("LIANLUO-BACKUP"), "{e}");
        let e = Reader::open(&b"LIANLUO-BACKUP 2\n{}\n"[..])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("version \"2\""), "{e}");
    }
}
