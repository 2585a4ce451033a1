//! Embeds the web console's built files (`server/console-dist`, committed; see docs/CONSOLE.md) into
//! the binary, so the server builds with its console without Node. The directory always exists in
//! the repository: cargo treats a missing `rerun-if-changed` path as always stale, which would
//! rebuild this crate on every cargo command.
//!
//! Also sets the build info of `imsdk-server --version` and `imsdk_build_info`: the git commit, the
//! build date and the enabled cargo features (`IMSDK_GIT_COMMIT`, `IMSDK_BUILD_DATE`,
//! `IMSDK_FEATURES`). Only paths that exist are watched, for the same reason.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    build_info();
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

/// Commit, date and features for `env!` in the crate. The script reruns when the commit changes
/// (the checked-out ref's file, or `packed-refs` where the ref is packed, and `HEAD` for a checkout),
/// so the date is when the current commit was first built; `SOURCE_DATE_EPOCH` pins it for a
/// reproducible build and `IMSDK_GIT_COMMIT` names the commit where there is no git (a tarball).
fn build_info() {
    println!("cargo:rerun-if-env-changed=IMSDK_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let commit = match std::env::var("IMSDK_GIT_COMMIT") {
        Ok(commit) => commit,
        Err(_) => {
            for path in git_paths_to_watch() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into())
        }
    };
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| {
            Some(
                k.strip_prefix("CARGO_FEATURE_")?
                    .to_lowercase()
                    .replace('_', "-"),
            )
        })
        .collect();
    features.sort();
    let features = if features.is_empty() {
        "none".to_owned()
    } else {
        features.join(",")
    };
    println!("cargo:rustc-env=IMSDK_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=IMSDK_BUILD_DATE={}", rfc3339(epoch));
    println!("cargo:rustc-env=IMSDK_FEATURES={features}");
}

/// Output of a git command run in this crate's directory; None without git or outside a repository.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// The files whose change means another commit: HEAD and what it points to. `git rev-parse
/// --git-path` resolves them in a worktree too (its `.git` is a file naming the real directory).
fn git_paths_to_watch() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = |name: &str| git(&["rev-parse", "--git-path", name]).map(|p| dir.join(p));
    let mut paths = Vec::new();
    paths.extend(path("HEAD"));
    if let Some(reference) = git(&["rev-parse", "--symbolic-full-name", "HEAD"]) {
        if reference != "HEAD" {
            paths.extend(path(&reference));
        }
    }
    paths.extend(path("packed-refs"));
    paths.retain(|p| p.exists());
    paths
}

/// `2026-05-01T12:00:00Z` from Unix seconds (days to a civil date: Howard Hinnant's algorithm).
fn rfc3339(secs: u64) -> String {
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
