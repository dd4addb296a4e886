//! How people read a city: its name (贺州) and province (广西), for this node (top-level
//! `name`, `province`) and each peer (`[[peers]] name`, `province`). Optional: the
//! founding cities have built-in names; another city is shown by its id until named.

use super::Checker;
use crate::config::CityName;
use crate::dashboard::labels::{self, Lang};

/// Longest name or province, in characters.
pub(crate) const NAME_MAX_CHARS: usize = 20;

/// The name and province of city `id` from the keys `<prefix>name` and `<prefix>province`
/// (built-in ones, or the id and nothing, when not given).
pub(super) fn city_name(
    c: &mut Checker<'_>,
    prefix: &str,
    id: &str,
    given: &Given<'_>,
) -> CityName {
    let name = checked(c, &format!("{prefix}name"), given.name)
        .unwrap_or_else(|| labels::city(id, Lang::Zh).to_owned());
    let name_en = checked(c, &format!("{prefix}name_en"), given.name_en)
        .unwrap_or_else(|| labels::city(id, Lang::En).to_owned());
    let province = checked(c, &format!("{prefix}province"), given.province)
        .unwrap_or_else(|| labels::province(id).to_owned());
    CityName {
        name,
        name_en,
        province,
    }
}

/// The names a config section gives a city (each optional).
pub(super) struct Given<'a> {
    pub name: &'a Option<String>,
    pub name_en: &'a Option<String>,
    pub province: &'a Option<String>,
}

fn checked(c: &mut Checker<'_>, key: &str, v: &Option<String>) -> Option<String> {
    let s = v.as_deref()?.trim();
    if s.is_empty() {
        c.problem(
            key,
            "is empty; give the name people read, e.g. \"桂林\", or leave it out",
        );
        return None;
    }
    if s.chars().count() > NAME_MAX_CHARS {
        c.problem(
            key,
            format!("{s:?} is longer than {NAME_MAX_CHARS} characters"),
        );
        return None;
    }
    if s.chars().any(char::is_control) {
        c.problem(key, format!("{s:?} has control characters"));
        return None;
    }
    Some(s.to_owned())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn check(text: &str) -> (crate::config::Config, Vec<crate::config::Problem>) {
        let (raw, earlier) = super::super::super::parse::parse(text).expect("toml");
        raw.check(Path::new("n.toml"), Path::new("."), earlier)
    }

    #[test]
    fn config_names_cities_as_given_else_as_built_in_else_by_id() {
        let (c, _) = check(
            "city = \"guilin\"\nname = \"桂林\"\nname_en = \"Guilin\"\nprovince = \"广西\"\n\
             [[peers]]\ncity = \"hezhou\"\naddress = \"a:1\"\n\
             [[peers]]\ncity = \"xinhuang\"\naddress = \"b:2\"\nname = \"新晃\"\nprovince = \"湖南\"\n\
             [[peers]]\ncity = \"tongdao\"\naddress = \"c:3\"\n",
        );
        assert_eq!(
            (c.city_name.name.as_str(), c.city_name.province.as_str()),
            ("桂林", "广西")
        );
        let named: Vec<(&str, &str)> = c
            .peers
            .iter()
            .map(|p| (p.name.name.as_str(), p.name.province.as_str()))
            .collect();
        assert_eq!(named, [("贺州", "广西"), ("新晃", "湖南"), ("tongdao", "")]);
        // English names: as given, else built in, else the id.
        let english: Vec<&str> = std::iter::once(&c.city_name)
            .chain(c.peers.iter().map(|p| &p.name))
            .map(|n| n.name_en.as_str())
            .collect();
        assert_eq!(english, ["Guilin", "Hezhou", "xinhuang", "tongdao"]);
    }

    #[test]
    fn config_names_that_cannot_be_shown_are_refused_naming_the_key() {
        let long = "桂".repeat(21);
        let (_, problems) = check(&format!(
            "city = \"guilin\"\nname = \" \"\nprovince = \"{long}\"\n\
             [[peers]]\ncity = \"hezhou\"\naddress = \"a:1\"\nname = \"贺\\u0007州\"\n"
        ));
        let messages: Vec<String> = problems
            .iter()
            .filter(|p| p.key.ends_with("name") || p.key.ends_with("province"))
            .map(|p| format!("{}: {}", p.key, p.message))
            .collect();
        assert_eq!(
            messages,
            [
                "name: is empty; give the name people read, e.g. \"桂林\", or leave it out",
                &format!("province: {long:?} is longer than 20 characters"),
                "peers[0].name: \"贺\\u{7}州\" has control characters",
            ]
        );
    }
}
