//! Query strings of the JSON API (`?year=2026&overdue=true`): percent-decoded, checked
//! against the parameters a route knows, and read as typed values. A bad value is a
//! [`NodeError::Invalid`] naming the parameter, so the caller gets a 400 saying which one.

use percent_encoding::percent_decode_str;

use crate::error::NodeError;

/// The decoded parameters of one request, in order.
#[derive(Debug, Default)]
pub(super) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes `raw` (the part after `?`, if any); a parameter not in `allowed`, or one
    /// given twice, is an error naming it.
    pub(super) fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Query, NodeError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let key = decode("parameter name", k)?;
            if !allowed.contains(&key.as_str()) {
                return Err(NodeError::invalid(
                    key,
                    format!("unknown parameter; this route takes {}", allowed.join(", ")),
                ));
            }
            if pairs.iter().any(|(k, _)| *k == key) {
                return Err(NodeError::invalid(key, "given twice; give it once"));
            }
            let value = decode(&key, v)?;
            pairs.push((key, value));
        }
        Ok(Query { pairs })
    }

    /// The value of `name`, trimmed; empty when absent.
    pub(super) fn text(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    /// A whole number; 0 when absent or empty.
    pub(super) fn number(&self, name: &str) -> Result<u32, NodeError> {
        self.whole(name).map(Option::unwrap_or_default)
    }

    /// A whole number, `None` when absent or empty.
    pub(super) fn whole<N: std::str::FromStr>(&self, name: &str) -> Result<Option<N>, NodeError> {
        let v = self.text(name);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).map_err(|_| {
            NodeError::invalid(
                name,
                format!("{v:?} is not a whole number; write digits only, e.g. {name}=2026"),
            )
        })
    }

    /// `true`/`1` or `false`/`0`; false when absent or empty.
    pub(super) fn flag(&self, name: &str) -> Result<bool, NodeError> {
        match self.text(name).as_str() {
            "" | "false" | "0" => Ok(false),
            "true" | "1" => Ok(true),
            other => Err(NodeError::invalid(
                name,
                format!("{other:?} is not a boolean; use true or false"),
            )),
        }
    }
}

/// Form decoding: `+` is a space, `%XX` a byte; the result must be UTF-8.
fn decode(name: &str, raw: &str) -> Result<String, NodeError> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            NodeError::invalid(
                name,
                "not UTF-8 after percent-decoding; encode the text as UTF-8",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[&str] = &["year", "text", "overdue"];

    fn field(e: NodeError) -> String {
        match e {
            NodeError::Invalid(v) => v.field,
            other => panic!("not invalid: {other}"),
        }
    }

    #[test]
    fn http_query_decodes_chinese_text_plus_and_percent() {
        let q = Query::parse(
            Some("text=%E6%96%AD%E5%A4%B4%E8%B7%AF+a%2Bb&year=2026&overdue=true"),
            ALLOWED,
        )
        .unwrap();
        assert_eq!(q.text("text"), "断头路 a+b");
        assert_eq!(q.number("year").unwrap(), 2026);
        assert!(q.flag("overdue").unwrap());
        let empty = Query::parse(None, ALLOWED).unwrap();
        assert_eq!(
            (empty.number("year").unwrap(), empty.text("text")),
            (0, "".into())
        );
        assert!(!empty.flag("overdue").unwrap());
    }

    #[test]
    fn http_query_errors_name_the_parameter() {
        let q = Query::parse(Some("year=abc&overdue=maybe"), ALLOWED).unwrap();
        let e = q.number("year").unwrap_err();
        assert_eq!(
            e.to_string(),
            "year: \"abc\" is not a whole number; write digits only, e.g. year=2026"
        );
        assert_eq!(field(q.flag("overdue").unwrap_err()), "overdue");
        assert_eq!(
            field(Query::parse(Some("yaer=1"), ALLOWED).unwrap_err()),
            "yaer"
        );
        assert_eq!(
            field(Query::parse(Some("year=1&year=2"), ALLOWED).unwrap_err()),
            "year"
        );
        assert_eq!(
            field(Query::parse(Some("text=%FF"), ALLOWED).unwrap_err()),
            "text"
        );
        let big = Query::parse(Some("year=99999999999"), ALLOWED).unwrap();
        assert_eq!(field(big.number("year").unwrap_err()), "year");
    }
}
