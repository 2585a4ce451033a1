//! The C side: the header compiles as C99 and C++ and is not stale; a C program compiled with
//! `-Wall -Wextra -Wpedantic -Werror` against it, linked to the built libImSDK, runs the story
//! and the bad-input cases against a real server, plainly and under valgrind.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>: where the test binary's deps/ directory and libImSDK.so live.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn header_is_fresh_and_compiles_as_c99_and_cpp() {
    let fresh = std::fs::read_to_string(Path::new(env!("OUT_DIR")).join("TIMCloud.h"))
        .expect("generated header");
    let committed =
        std::fs::read_to_string(root().join("include/TIMCloud.h")).expect("include/TIMCloud.h");
    assert!(
        fresh == committed,
        "include/TIMCloud.h is stale: build without CI set and commit it"
    );
    let src = profile_dir().join("c-tests");
    std::fs::create_dir_all(&src).expect("dir");
    let c = src.join("header_only.c");
    std::fs::write(&c, "#include \"TIMCloud.h\"\nint main(void) { return TIMGetLoginStatus() == kTIMLoginStatus_Logined; }\n").expect("write");
    let inc = root().join("include");
    run(Command::new("cc")
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            "-fsyntax-only",
            "-I",
        ])
        .arg(&inc)
        .arg(&c));
    run(Command::new("c++")
        .args([
            "-std=c++11",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            "-fsyntax-only",
            "-x",
            "c++",
            "-I",
        ])
        .arg(&inc)
        .arg(&c));
}

/// `cargo test` builds the cdylib and the staticlib next to this test binary (target/<profile>/deps);
/// only `cargo build` copies them up to target/<profile>.
fn lib_dir(file: &str) -> PathBuf {
    let lib = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
        .expect("test binary directory");
    assert!(
        lib.join(file).exists(),
        "{file} not built in {}",
        lib.display()
    );
    lib
}

/// How a C program links the library: against libImSDK.so, or statically against libImSDK.a as
/// on iOS (plus the system libraries Rust's std needs: `cargo rustc -- --print native-static-libs`).
#[derive(Clone, Copy, PartialEq)]
enum Link {
    Shared,
    Static,
}

fn build_story(link: Link) -> PathBuf {
    let name = match link {
        Link::Shared => "story",
        Link::Static => "story-static",
    };
    let out = profile_dir().join("c-tests").join(name);
    std::fs::create_dir_all(out.parent().expect("dir")).expect("dir");
    let mut cc = Command::new("cc");
    cc.args([
        "-std=c99",
        "-Wall",
        "-Wextra",
        "-Wpedantic",
        "-Werror",
        "-pthread",
        "-g",
        "-I",
    ])
    .arg(root().join("include"))
    .arg(root().join("tests/c/story.c"))
    .arg("-o")
    .arg(&out);
    match link {
        Link::Shared => {
            let lib = lib_dir("libImSDK.so");
            cc.arg(format!("-L{}", lib.display()))
                .arg(format!("-Wl,-rpath,{}", lib.display()))
                .arg("-lImSDK");
        }
        Link::Static => {
            cc.arg(lib_dir("libImSDK.a").join("libImSDK.a")).args([
                "-lgcc_s",
                "-lutil",
                "-lrt",
                "-lpthread",
                "-lm",
                "-ldl",
                "-lc",
            ]);
        }
    }
    run(&mut cc);
    out
}

/// Runs the story program (optionally under `wrapper`) while this test plays bob.
fn story(exe: &Path, wrapper: &[&str]) {
    let server = start_server(server_config(&["alice", "bob"]));
    let mut cmd = match wrapper.split_first() {
        Some((w, args)) => {
            let mut c = Command::new(w);
            c.args(args).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let mut child = cmd
        .arg(ws_url(server.addr()))
        .arg(sig("alice"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("story starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let output = |child: std::process::Child| {
        let out = child.wait_with_output().expect("story ends");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    if first != "READY" {
        panic!("story did not get ready ({first:?}):\n{}", output(child));
    }
    let mut bob = Peer::login(server.addr(), "bob", "Android");
    bob.subscribe(&["alice"]);
    bob.set_custom("in a match");
    bob.wait_status("alice", 1, Some("looking for a team é"));
    bob.wait_status("alice", 3, None);
    let last = lines.next().and_then(Result::ok).unwrap_or_default();
    let status = child.wait().expect("story ends");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut stderr).expect("stderr");
    }
    assert!(
        status.success() && last == "DONE",
        "story failed ({last:?}, {status}):\n{stderr}"
    );
}

#[test]
fn c_program_runs_the_story() {
    let _g = serial();
    story(&build_story(Link::Shared), &[]);
}

#[test]
fn c_program_linked_statically_runs_the_story() {
    let _g = serial();
    let exe = build_story(Link::Static);
    // Really static: the program needs no libImSDK.so at run time.
    let ldd = Command::new("ldd").arg(&exe).output().expect("ldd");
    let deps = String::from_utf8_lossy(&ldd.stdout);
    assert!(!deps.contains("libImSDK"), "linked dynamically:\n{deps}");
    story(&exe, &[]);
}

#[test]
fn c_program_runs_clean_under_valgrind() {
    let _g = serial();
    if Command::new("valgrind").arg("--version").output().is_err() {
        panic!("valgrind is required (scripts/test.sh installs it)");
    }
    story(
        &build_story(Link::Shared),
        &[
            "valgrind",
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--quiet",
        ],
    );
}
