//! `imsdk-server [--config FILE] [--listen ADDR] ...` (every option also an `IMSDK_*` environment
//! variable) and `imsdk-server usersig ...`.

use clap::Parser;
use imsdk_server::config::Config;
use imsdk_server::ServerHandle;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "usage:
  imsdk-server [--config FILE] [--listen ADDR] [--redis redis://HOST:PORT]
               [--tls-cert PEM --tls-key PEM] [--log-json]   (imsdk-server --help: all of it)
  imsdk-server usersig --sdk-app-id N --secret-key K --user-id U [--expire SECONDS]";

/// The user-status backend of the ImSDK native library: WebSocket sessions at /ws, Tencent's admin
/// REST API at /v4/..., /metrics, /healthz, /readyz (see docs/OPERATIONS.md).
#[derive(Parser)]
#[command(name = "imsdk-server", after_help = after_help())]
struct RunArgs {
    /// TOML config file (apps, [server] settings); none: the embedded development app.
    #[arg(long, env = "IMSDK_CONFIG", value_name = "FILE")]
    config: Option<String>,
    /// Address to listen on (port 0: any free port).
    #[arg(long, env = "IMSDK_LISTEN", default_value = "127.0.0.1:7788")]
    listen: SocketAddr,
    /// Cluster mode: share presence with other nodes through this Redis (docs/CLUSTER.md).
    #[arg(long, env = "IMSDK_REDIS", value_name = "redis://HOST:PORT")]
    redis: Option<String>,
    /// PEM certificate chain: serve wss:// and https:// (with --tls-key).
    #[arg(long, env = "IMSDK_TLS_CERT", value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<String>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "IMSDK_TLS_KEY", value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<String>,
    /// Logs as one JSON object per line (stderr); levels from RUST_LOG (default info).
    #[arg(long, env = "IMSDK_LOG_JSON")]
    log_json: bool,
}

fn after_help() -> String {
    format!(
        "Every config-file setting can be set by an environment variable, over the file:
[server] KEY as IMSDK_SERVER_KEY, the first [[app]]'s KEY as IMSDK_APP_KEY and its
[app.limits] KEY as IMSDK_APP_LIMITS_KEY (values in TOML: 20, true, [\"a\",\"b\"]; else text):
{}
Other commands:
  imsdk-server usersig --sdk-app-id N --secret-key K --user-id U [--expire SECONDS]",
        imsdk_server::config_env::help()
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("usersig") => usersig(&args[1..]),
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
    let cli = match RunArgs::try_parse_from(
        std::iter::once("imsdk-server".to_owned()).chain(args.iter().cloned()),
    ) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.exit_code() {
                0 => Ok(()),
                _ => Err((2, "invalid arguments (see imsdk-server --help)".to_owned())),
            };
        }
    };
    imsdk_server::ops::logging::init(cli.log_json);
    let listen = cli.listen;
    let base = match &cli.config {
        Some(path) => Config::load(path.as_ref()).map_err(|e| (2, e.to_string()))?,
        None => Config::dev_default(),
    };
    let mut config =
        imsdk_server::config_env::apply(&base, std::env::vars()).map_err(|e| (2, e.to_string()))?;
    let dev = Config::dev_default();
    if cli.config.is_none() && config.apps[0].secret_key == dev.apps[0].secret_key {
        let app = &config.apps[0];
        println!("no --config: embedded development app (never use in production)");
        println!("  sdk_app_id = {}", app.sdk_app_id);
        println!("  secret_key = {}", app.secret_key);
        println!("  admin      = {}", app.admin);
    }
    if let Some(url) = cli.redis {
        config.server.redis = Some(url);
    }
    if cli.tls_cert.is_some() {
        config.server.tls_cert = cli.tls_cert;
        config.server.tls_key = cli.tls_key;
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
