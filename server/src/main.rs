//! `imsdk-server [--config FILE] [--listen ADDR]` and `imsdk-server usersig ...`.

use imsdk_server::config::Config;
use imsdk_server::ServerHandle;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "usage:
  imsdk-server [--config FILE] [--listen ADDR] [--redis redis://HOST:PORT]
      (default listen 127.0.0.1:7788; --redis: cluster mode, presence shared through Redis)
  imsdk-server usersig --sdk-app-id N --secret-key K --user-id U [--expire SECONDS]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("usersig") => usersig(&args[1..]),
        Some("--help" | "-h") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((status, msg)) => {
            eprintln!("imsdk-server: {msg}");
            ExitCode::from(status)
        }
    }
}

type CliResult = Result<(), (u8, String)>;

/// Reads `--name value` pairs; any other argument is a usage error.
fn options<'a>(
    args: &'a [String],
    known: &[&str],
) -> Result<Vec<(&'a str, &'a str)>, (u8, String)> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(name) = it.next() {
        if !known.contains(&name.as_str()) {
            return Err((2, format!("unknown argument {name:?}\n{USAGE}")));
        }
        let value = it
            .next()
            .ok_or((2, format!("{name} needs a value\n{USAGE}")))?;
        out.push((name.as_str(), value.as_str()));
    }
    Ok(out)
}

fn get<'a>(opts: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    opts.iter().rev().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn usersig(args: &[String]) -> CliResult {
    let opts = options(
        args,
        &["--sdk-app-id", "--secret-key", "--user-id", "--expire"],
    )?;
    let need = |name: &str| get(&opts, name).ok_or((2, format!("{name} is required\n{USAGE}")));
    let sdk_app_id: u64 = need("--sdk-app-id")?
        .parse()
        .map_err(|_| (2, "--sdk-app-id must be a number".to_owned()))?;
    let expire = match get(&opts, "--expire") {
        Some(s) => s
            .parse()
            .map_err(|_| (2, "--expire must be a number of seconds".to_owned()))?,
        None => imsdk_usersig::DEFAULT_EXPIRE_S,
    };
    println!(
        "{}",
        imsdk_usersig::generate(
            sdk_app_id,
            need("--secret-key")?,
            need("--user-id")?,
            expire
        )
    );
    Ok(())
}

fn run(args: &[String]) -> CliResult {
    let opts = options(args, &["--config", "--listen", "--redis"])?;
    let listen: SocketAddr = get(&opts, "--listen")
        .unwrap_or("127.0.0.1:7788")
        .parse()
        .map_err(|_| {
            (
                2,
                "--listen must be an address like 127.0.0.1:7788".to_owned(),
            )
        })?;
    let mut config = match get(&opts, "--config") {
        Some(path) => Config::load(path.as_ref()).map_err(|e| (2, e.to_string()))?,
        None => {
            let app = &Config::dev_default().apps[0];
            println!("no --config: embedded development app (never use in production)");
            println!("  sdk_app_id = {}", app.sdk_app_id);
            println!("  secret_key = {}", app.secret_key);
            println!("  admin      = {}", app.admin);
            Config::dev_default()
        }
    };
    if let Some(url) = get(&opts, "--redis") {
        config.server.redis = Some(url.to_owned());
    }
    let server = ServerHandle::start(config, listen).map_err(|e| {
        if e.kind() == std::io::ErrorKind::ConnectionRefused {
            (1, format!("cannot start: {e}"))
        } else {
            (1, format!("cannot listen on {listen}: {e}"))
        }
    })?;
    println!("imsdk-server listening on {}", server.addr());
    let _ = std::io::stdout().flush();
    wait_for_signal();
    server.shutdown();
    Ok(())
}

/// Blocks until SIGINT or SIGTERM.
fn wait_for_signal() {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            if let Ok(mut term) = signal(SignalKind::terminate()) {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
    });
}
