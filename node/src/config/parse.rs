//! Reading `node.toml` into a [`RawConfig`] by walking the TOML tree against the expected
//! shape. Every unknown key and every value of the wrong type is reported with its key
//! path (`tls.cert`, `peers[1].address`), and reading goes on, so validation still checks
//! everything else and one run reports every problem.

use std::collections::BTreeMap;

use toml::{Table, Value};

use super::raw::{
    RawApi, RawConfig, RawFederation, RawHttp, RawLimits, RawLog, RawPeer, RawStore, RawTls,
};
use super::Problem;

const TOP: &[&str] = &[
    "city",
    "name",
    "name_en",
    "province",
    "trust_domain",
    "data_dir",
    "api",
    "federation",
    "http",
    "tls",
    "peers",
    "users",
    "log",
    "limits",
    "store",
];
const API: &[&str] = &["listen"];
const FEDERATION: &[&str] = &["listen", "max_stream_secs", "max_clock_skew_secs"];
const HTTP: &[&str] = &["listen", "tls"];
const TLS: &[&str] = &[
    "ca",
    "cert",
    "key",
    "user_ca",
    "crls",
    "signer_cert",
    "signer_key",
];
const PEER: &[&str] = &["city", "address", "name", "name_en", "province"];
const LOG: &[&str] = &["format", "level"];
const LIMITS: &[&str] = &[
    "max_request_bytes",
    "http_connections",
    "connections_per_source",
    "idle_secs",
    "calls_per_caller",
    "handshakes_per_source",
    "calls_per_second",
    "calls_per_peer",
    "tls_connections",
];
const STORE: &[&str] = &["cache_mb", "reserve_mb", "ballast_mb"];

/// What a file path value is called in messages.
const PATH: &str = "a string (a file path)";
/// What an address value is called in messages.
const ADDR: &str = "a string such as \"127.0.0.1:7101\"";

/// Parses TOML text. A syntax error stops here (`Err`); otherwise the raw config comes
/// back with every unknown-key and type problem found on the way.
pub fn parse(text: &str) -> Result<(RawConfig, Vec<Problem>), Problem> {
    let table: Table = text.parse().map_err(|e: toml::de::Error| Problem {
        key: "(syntax)".into(),
        message: e.message().to_string() + &span_hint(text, e.span()),
    })?;
    let mut w = Walker::default();
    w.unknown("", &table, TOP);
    let raw = RawConfig {
        city: w.string("city", table.get("city"), "a string such as \"hezhou\""),
        name: w.string("name", table.get("name"), "a string such as \"贺州\""),
        name_en: w.string(
            "name_en",
            table.get("name_en"),
            "a string such as \"Hezhou\"",
        ),
        province: w.string(
            "province",
            table.get("province"),
            "a string such as \"广西\"",
        ),
        trust_domain: w.string("trust_domain", table.get("trust_domain"), "a string"),
        data_dir: w.string("data_dir", table.get("data_dir"), "a string (a directory)"),
        api: w.api(&table),
        federation: w.federation(&table),
        http: w.http(&table),
        tls: w.tls(&table),
        peers: w.peers(table.get("peers")),
        users: w.users(table.get("users")),
        log: w.log(&table),
        limits: w.limits(&table),
        store: w.store(&table),
    };
    Ok((raw, w.problems))
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text[..r.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

/// `prefix.name`, or `name` at the top level.
fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A value as a message shows it: its type, and scalars with their value.
fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string {s:?}"),
        Value::Integer(n) => format!("integer {n}"),
        Value::Float(f) => format!("float {f}"),
        Value::Boolean(b) => format!("boolean {b}"),
        Value::Datetime(d) => format!("datetime {d}"),
        Value::Array(_) => "an array".to_string(),
        Value::Table(_) => "a table".to_string(),
    }
}

/// Collects problems while reading the tree.
#[derive(Default)]
struct Walker {
    problems: Vec<Problem>,
}

impl Walker {
    fn wrong(&mut self, key: &str, expected: &str, found: &Value) {
        let hint = match found {
            Value::Integer(_) | Value::Float(_) | Value::Boolean(_)
                if expected.starts_with("a string") =>
            {
                "; put the value in double quotes"
            }
            _ => "",
        };
        self.problems.push(Problem {
            key: key.to_string(),
            message: format!("expected {expected}, found {}{hint}", describe(found)),
        });
    }

    /// Reports every key of `t` not in `allowed`.
    fn unknown(&mut self, prefix: &str, t: &Table, allowed: &[&str]) {
        for k in t.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.problems.push(Problem {
                key: join(prefix, k),
                message: format!(
                    "unknown key; allowed here: {} (see the README's config reference)",
                    allowed.join(", ")
                ),
            });
        }
    }

    /// A sub-table (`[name]`), its unknown keys reported; `None` when absent or not a table.
    fn section<'t>(&mut self, top: &'t Table, name: &str, allowed: &[&str]) -> Option<&'t Table> {
        match top.get(name)? {
            Value::Table(t) => {
                self.unknown(name, t, allowed);
                Some(t)
            }
            other => {
                self.wrong(name, &format!("a table ([{name}])"), other);
                None
            }
        }
    }

    fn string(&mut self, key: &str, v: Option<&Value>, expected: &str) -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong(key, expected, other);
                None
            }
        }
    }

    fn integer(&mut self, key: &str, v: Option<&Value>) -> Option<i64> {
        match v? {
            Value::Integer(n) => Some(*n),
            other => {
                self.wrong(key, "an integer", other);
                None
            }
        }
    }

    fn boolean(&mut self, key: &str, v: Option<&Value>) -> Option<bool> {
        match v? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong(key, "a boolean (true or false, without quotes)", other);
                None
            }
        }
    }

    /// A string field of an optional section.
    fn field(
        &mut self,
        section: &str,
        t: Option<&Table>,
        name: &str,
        expected: &str,
    ) -> Option<String> {
        let v = t.and_then(|t| t.get(name));
        self.string(&join(section, name), v, expected)
    }

    fn api(&mut self, top: &Table) -> RawApi {
        let t = self.section(top, "api", API);
        RawApi {
            listen: self.field("api", t, "listen", ADDR),
        }
    }

    fn federation(&mut self, top: &Table) -> RawFederation {
        let t = self.section(top, "federation", FEDERATION);
        RawFederation {
            listen: self.field("federation", t, "listen", ADDR),
            max_stream_secs: self.integer(
                "federation.max_stream_secs",
                t.and_then(|t| t.get("max_stream_secs")),
            ),
            max_clock_skew_secs: self.integer(
                "federation.max_clock_skew_secs",
                t.and_then(|t| t.get("max_clock_skew_secs")),
            ),
        }
    }

    fn http(&mut self, top: &Table) -> RawHttp {
        let t = self.section(top, "http", HTTP);
        RawHttp {
            listen: self.field("http", t, "listen", ADDR),
            tls: self.boolean("http.tls", t.and_then(|t| t.get("tls"))),
        }
    }

    fn tls(&mut self, top: &Table) -> RawTls {
        let t = self.section(top, "tls", TLS);
        RawTls {
            ca: self.field("tls", t, "ca", PATH),
            cert: self.field("tls", t, "cert", PATH),
            key: self.field("tls", t, "key", PATH),
            user_ca: self.field("tls", t, "user_ca", PATH),
            crls: self.crls(t.and_then(|t| t.get("crls"))),
            signer_cert: self.field("tls", t, "signer_cert", PATH),
            signer_key: self.field("tls", t, "signer_key", PATH),
        }
    }

    /// `tls.crls`: an array of paths; a bad element is reported and left out.
    fn crls(&mut self, v: Option<&Value>) -> Vec<String> {
        let items = match v {
            None => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.wrong("tls.crls", "an array of file paths", other);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = self.string(&format!("tls.crls[{i}]"), Some(item), PATH) {
                out.push(s);
            }
        }
        out
    }

    fn peers(&mut self, v: Option<&Value>) -> Vec<RawPeer> {
        let items = match v {
            None => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.wrong("peers", "an array of tables ([[peers]] sections)", other);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let prefix = format!("peers[{i}]");
            let Value::Table(t) = item else {
                self.wrong(&prefix, "a table ([[peers]] section)", item);
                // Keep the index so later peers keep their numbers in messages.
                out.push(RawPeer::default());
                continue;
            };
            self.unknown(&prefix, t, PEER);
            out.push(RawPeer {
                city: self.field(&prefix, Some(t), "city", "a string such as \"qingyuan\""),
                address: self.field(&prefix, Some(t), "address", ADDR),
                name: self.field(&prefix, Some(t), "name", "a string such as \"清远\""),
                name_en: self.field(&prefix, Some(t), "name_en", "a string such as \"Qingyuan\""),
                province: self.field(&prefix, Some(t), "province", "a string such as \"广东\""),
            });
        }
        out
    }

    fn users(&mut self, v: Option<&Value>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let t = match v {
            None => return out,
            Some(Value::Table(t)) => t,
            Some(other) => {
                self.wrong("users", "a table ([users] with name = \"role\")", other);
                return out;
            }
        };
        for (name, role) in t {
            let expected = "a role string: \"admin\", \"coordinator\" or \"viewer\"";
            if let Some(r) = self.string(&format!("users.{name}"), Some(role), expected) {
                out.insert(name.clone(), r);
            }
        }
        out
    }

    fn log(&mut self, top: &Table) -> RawLog {
        let t = self.section(top, "log", LOG);
        RawLog {
            format: self.field("log", t, "format", "a string: \"text\" or \"json\""),
            level: self.field("log", t, "level", "a string such as \"info\""),
        }
    }

    fn limits(&mut self, top: &Table) -> RawLimits {
        let t = self.section(top, "limits", LIMITS);
        let mut int =
            |key: &str| self.integer(&format!("limits.{key}"), t.and_then(|t| t.get(key)));
        RawLimits {
            max_request_bytes: int("max_request_bytes"),
            http_connections: int("http_connections"),
            connections_per_source: int("connections_per_source"),
            idle_secs: int("idle_secs"),
            calls_per_caller: int("calls_per_caller"),
            handshakes_per_source: int("handshakes_per_source"),
            calls_per_second: int("calls_per_second"),
            calls_per_peer: int("calls_per_peer"),
            tls_connections: int("tls_connections"),
        }
    }

    fn store(&mut self, top: &Table) -> RawStore {
        let t = self.section(top, "store", STORE);
        RawStore {
            cache_mb: self.integer("store.cache_mb", t.and_then(|t| t.get("cache_mb"))),
            reserve_mb: self.integer("store.reserve_mb", t.and_then(|t| t.get("reserve_mb"))),
            ballast_mb: self.integer("store.ballast_mb", t.and_then(|t| t.get("ballast_mb"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.key.as_str()).collect()
    }

    #[test]
    fn config_parse_reports_each_type_error_with_its_key_and_keeps_the_rest() {
        let text = r#"
city = "hezhou"
data_dir = 7
crls_note = true
[api]
listen = 7101
[federation]
listen = "127.0.0.1:7102"
max_stream_secs = "60"
[tls]
crls = ["a.pem", 3, "b.pem"]
[users]
admin = "admin"
viewer = 1
[[peers]]
city = "qingyuan"
nickname = "qy"
"#;
        let (raw, problems) = parse(text).expect("toml");
        assert_eq!(
            keys(&problems),
            [
                "crls_note",
                "data_dir",
                "api.listen",
                "federation.max_stream_secs",
                "tls.crls[1]",
                "peers[0].nickname",
                "users.viewer",
            ]
        );
        assert!(problems[2]
            .message
            .contains("found integer 7101; put the value in double quotes"));
        assert_eq!(raw.city.as_deref(), Some("hezhou"));
        assert_eq!(raw.federation.listen.as_deref(), Some("127.0.0.1:7102"));
        assert_eq!(raw.tls.crls, ["a.pem", "b.pem"]);
        assert_eq!(raw.users.len(), 1);
        assert_eq!(raw.peers[0].city.as_deref(), Some("qingyuan"));
    }

    #[test]
    fn config_parse_reports_sections_of_the_wrong_shape() {
        let (_, problems) = parse("tls = \"x\"\npeers = [1]\nusers = 2\n").expect("toml");
        assert_eq!(keys(&problems), ["tls", "peers[0]", "users"]);
        let (_, problems) = parse("[peers]\ncity = \"x\"\n").expect("toml");
        assert_eq!(keys(&problems), ["peers"]);
    }

    #[test]
    fn config_parse_syntax_error_names_the_line() {
        let err = parse("city = \"hezhou\"\n[api\n").expect_err("syntax error");
        assert_eq!(err.key, "(syntax)");
        assert!(err.message.contains("(line 2)"), "{}", err.message);
    }
}
