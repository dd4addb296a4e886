//! Config parsing: any text as `node.toml` must load or be refused with problems that
//! name their keys, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("node.toml");
    if std::fs::write(&path, text).is_err() {
        return;
    }
    if let Err(e) = lianluo_node::config::load(&path) {
        assert!(!e.to_string().is_empty());
    }
});
