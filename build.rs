//! Generates the C header from the exports in src/ffi with cbindgen: always to
//! `$OUT_DIR/TIMCloud.h`, and to the committed `include/TIMCloud.h` when it differs (unless `CI`
//! is set, where tests/header.rs then fails on a stale header).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CI");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("TIMCloud.h");
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => {
            // A syntax error in src: let rustc report it properly.
            println!("cargo:warning=cbindgen: {e}");
            return;
        }
    };
    bindings.write_to_file(&out);
    let committed = crate_dir.join("include").join("TIMCloud.h");
    let fresh = std::fs::read(&out).unwrap_or_default();
    if std::env::var_os("CI").is_none()
        && std::fs::read(&committed).ok().as_deref() != Some(fresh.as_slice())
    {
        let _ = std::fs::create_dir_all(crate_dir.join("include"));
        let _ = std::fs::write(&committed, fresh);
    }
}
