//! Compiles `proto/lianluo/v1/*.proto` with protox (pure Rust, no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/lianluo/v1/events.proto",
        "proto/lianluo/v1/records.proto",
        "proto/lianluo/v1/federation.proto",
        "proto/lianluo/v1/dashboard.proto",
        "proto/lianluo/v1/operator.proto",
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    // compile_fds does not write the descriptor set itself; reflection needs it.
    std::fs::write(
        out.join("lianluo_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        // The read model is printed as JSON by the CLI (`--json`).
        .type_attribute(".lianluo.v1", "#[derive(serde::Serialize)]")
        // Ordered maps: figures print in a stable order in JSON and reports.
        .btree_map(".")
        .compile_fds(fds)?;
    Ok(())
}
