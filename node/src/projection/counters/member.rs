//! The members of the sets of distinct deputies, one key per deputy and scope.

use super::CounterKey;

/// A deputy in a scope's set of distinct deputies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MemberKey {
    /// The year, or 0.
    pub scope: u16,
    /// The deputy's city.
    pub city: String,
    /// The deputy's name.
    pub name: String,
}

impl MemberKey {
    /// The member's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.scope.to_be_bytes().to_vec();
        out.extend_from_slice(self.city.as_bytes());
        out.push(0);
        out.extend_from_slice(self.name.as_bytes());
        out
    }

    /// Decodes [`MemberKey::encode`]; `None` for bytes it never writes.
    pub fn decode(bytes: &[u8]) -> Option<MemberKey> {
        let scope = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
        let rest = std::str::from_utf8(bytes.get(2..)?).ok()?;
        let (city, name) = rest.split_once('\0')?;
        Some(MemberKey {
            scope,
            city: city.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The counter of its set's size.
    pub fn set_size(&self) -> CounterKey {
        CounterKey::Deputies { scope: self.scope }
    }
}
