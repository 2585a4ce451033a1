//! Embeds the web console's built files (`server/console-dist`, committed; see docs/CONSOLE.md) into
//! the binary, so the server builds with its console without Node. The directory always exists in
//! the repository: cargo treats a missing `rerun-if-changed` path as always stale, which would
//! rebuild this crate on every cargo command.

use std::path::{Path, PathBuf};

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("console-dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let mut out =
        String::from("/// (path under dist, bytes)\npub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (name, path) in &files {
        out += &format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        );
    }
    out += "];\n";
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(dest.join("console_assets.rs"), out).expect("OUT_DIR is writable");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let name = rel.to_string_lossy().replace('\\', "/");
            if let Ok(abs) = path.canonicalize() {
                files.push((name, abs));
            }
        }
    }
}
