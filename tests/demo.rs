//! The README's run command works: the demo (`cargo run --release -p imsdk-demo`) walks the story
//! and ends by itself. This test (harness = false) *is* the demo: it includes demo/src/main.rs,
//! whose `main` starts the server and re-runs this binary once per user. Each step waits for what
//! the users must see (a status line per change) with a timeout, and panics, failing the test, when
//! it does not come.

#[path = "../demo/src/main.rs"]
mod demo;

fn main() {
    demo::main();
}
