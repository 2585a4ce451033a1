//! `imsdk-server [--config FILE] [--listen ADDR] ...` runs the server (every option also an
//! `IMSDK_*` environment variable); `imsdk-server COMMAND --help` for the other commands: `usersig`,
//! `config`, `check-config`, `default-config`, `backup`. Exit status: 0 ok, 2 bad input (arguments,
//! configuration), 1 the server cannot start.

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use imsdk_server::build_info;
use imsdk_server::config::Config;
use imsdk_server::config_report::{self, Source, Sources, PLACEHOLDER_SECRET_KEY};
use imsdk_server::ServerHandle;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The user-status backend of the ImSDK native library: WebSocket sessions at /ws, Tencent's admin
/// REST API at /v4/..., the web console at /console, /metrics, /healthz, /readyz
/// (docs/OPERATIONS.md). Without a command: runs the server.
#[derive(Parser)]
#[command(
    name = "imsdk-server",
    version = build_info::VERSION,
    long_version = build_info::LONG_VERSION,
    propagate_version = true,
    // `imsdk-server --listen X usersig` is a mistake, not a run with a stray word.
    args_conflicts_with_subcommands = true,
    after_help = after_help(),
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Prints a UserSig (Tencent TLSSigAPIv2) for a user of an app.
    Usersig(UsersigArgs),
    /// Prints the effective configuration as TOML (secrets masked), each value with its source:
    /// default, file, environment or flag. Takes the settings flags of a run.
    Config(SettingsArgs),
    /// Checks a config file: exit 0 when the server would accept it, 2 with the reason otherwise.
    /// Environment variables are not applied: this checks the file.
    CheckConfig {
        /// The TOML config file.
        file: PathBuf,
    },
    /// Prints a config file template: every setting at its default (commented) and one
    /// placeholder app to edit (what the Debian package installs as /etc/imsdk/imsdk.toml).
    DefaultConfig,
    /// Copies the embedded store's database to FILE, consistently, while a server may be running
    /// on it (SQLite's online backup; docs/STORAGE.md). Restore: stop, copy back, start.
    Backup {
        /// The server's data directory.
        #[arg(long, env = "IMSDK_DATA_DIR", value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Where to write the copy.
        file: PathBuf,
    },
}

/// The options of a run.
#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// Address to listen on (port 0: any free port).
    #[arg(long, env = "IMSDK_LISTEN", default_value = "127.0.0.1:7788")]
    listen: SocketAddr,
    /// Logs as one JSON object per line (stderr); levels from RUST_LOG (default info).
    #[arg(long, env = "IMSDK_LOG_JSON")]
    log_json: bool,
}

/// The options that make up the configuration (shared by a run and `config`).
#[derive(Args)]
struct SettingsArgs {
    /// TOML config file (apps, [server] settings); none: the embedded development app.
    #[arg(long, env = "IMSDK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory of the durable data (the embedded store's database; docs/STORAGE.md). Over the
    /// file's [server] data_dir; default ./imsdk-data.
    #[arg(long, env = "IMSDK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Cluster mode: share presence with other nodes through this Redis (docs/CLUSTER.md).
    #[arg(long, env = "IMSDK_REDIS", value_name = "redis://HOST:PORT")]
    redis: Option<String>,
    /// PEM certificate chain: serve wss:// and https:// (with --tls-key).
    #[arg(long, env = "IMSDK_TLS_CERT", value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<String>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "IMSDK_TLS_KEY", value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<String>,
}

#[derive(Args)]
struct UsersigArgs {
    #[arg(long, value_name = "N")]
    sdk_app_id: u64,
    #[arg(long, value_name = "KEY")]
    secret_key: String,
    #[arg(long, value_name = "USER")]
    user_id: String,
    /// Validity in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = imsdk_usersig::DEFAULT_EXPIRE_S)]
    expire: u64,
}

/// The data directory when neither a flag, a variable nor the file names one.
const DEFAULT_DATA_DIR: &str = "./imsdk-data";

fn after_help() -> String {
    format!(
        "Every config-file setting can be set by an environment variable, over the file:
[server] KEY as IMSDK_SERVER_KEY, the first [[app]]'s KEY as IMSDK_APP_KEY and its
[app.limits] KEY as IMSDK_APP_LIMITS_KEY (values in TOML: 20, true, [\"a\",\"b\"]; else text):
{}",
        imsdk_server::config_env::help()
    )
}

/// A failure: exit status and message.
type CliResult = Result<(), (u8, String)>;

fn main() -> ExitCode {
    // clap prints help and version (exit 0) and usage errors (exit 2) itself.
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        None => run(cli.run, &matches),
        Some(Command::Usersig(args)) => {
            println!(
                "{}",
                imsdk_usersig::generate(
                    args.sdk_app_id,
                    &args.secret_key,
                    &args.user_id,
                    args.expire
                )
            );
            Ok(())
        }
        Some(Command::Config(settings)) => {
            let sub = matches.subcommand_matches("config").unwrap_or(&matches);
            effective_config(&settings, sub).map(|(config, sources)| {
                print!("{}", config_report::effective(&config, &sources));
            })
        }
        Some(Command::CheckConfig { file }) => check_config(&file),
        Some(Command::DefaultConfig) => {
            print!("{}", config_report::template());
            Ok(())
        }
        Some(Command::Backup { data_dir, file }) => {
            imsdk_server::store::durable::backup(&data_dir, &file)
                .map(|()| {
                    println!(
                        "{}: backup of {} written",
                        file.display(),
                        data_dir.display()
                    )
                })
                .map_err(|e| (1, format!("backup: {e}")))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((status, msg)) => {
            eprintln!("imsdk-server: {msg}");
            ExitCode::from(status)
        }
    }
}

fn check_config(file: &Path) -> CliResult {
    let config = Config::load(file).map_err(|e| (2, e.to_string()))?;
    warn_placeholder(&config, file);
    println!("{}: ok", file.display());
    Ok(())
}

/// The template's public key in use: say so on stderr (the run still starts: it is a working
/// config, only not a secret one).
fn warn_placeholder(config: &Config, file: &Path) {
    if config
        .apps
        .iter()
        .any(|a| a.secret_key == PLACEHOLDER_SECRET_KEY)
    {
        eprintln!(
            "imsdk-server: warning: {} uses the template's placeholder secret_key, which is public: \
             set your own before production use",
            file.display()
        );
    }
}

/// The configuration a run with these settings uses: the file (or the development app), the
/// `IMSDK_SERVER_*`/`IMSDK_APP_*` variables over it, then the settings flags (or their variables),
/// and where each value came from.
fn effective_config(
    settings: &SettingsArgs,
    matches: &ArgMatches,
) -> Result<(Config, Sources), (u8, String)> {
    let (base, mut sources) = match &settings.config {
        Some(path) => {
            let config = Config::load(path).map_err(|e| (2, e.to_string()))?;
            let text = std::fs::read_to_string(path).unwrap_or_default();
            (config, Sources::new(Some(&text)))
        }
        None => (Config::dev_default(), Sources::new(None)),
    };
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let mut config =
        imsdk_server::config_env::apply(&base, vars.clone()).map_err(|e| (2, e.to_string()))?;
    sources.env(vars);
    // A flag or its own variable (IMSDK_REDIS ...) over the file and IMSDK_SERVER_* values.
    let origin = |id: &str, flag: &str, var: &str| match matches.value_source(id) {
        Some(ValueSource::EnvVariable) => Source::Env(var.into()),
        _ => Source::Flag(flag.into()),
    };
    if let Some(url) = &settings.redis {
        config.server.redis = Some(url.clone());
        sources.set("server.redis", origin("redis", "--redis", "IMSDK_REDIS"));
    }
    if let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) {
        config.server.tls_cert = Some(cert.clone());
        config.server.tls_key = Some(key.clone());
        let cert_origin = origin("tls_cert", "--tls-cert", "IMSDK_TLS_CERT");
        sources.set("server.tls_cert", cert_origin);
        sources.set(
            "server.tls_key",
            origin("tls_key", "--tls-key", "IMSDK_TLS_KEY"),
        );
    }
    let data_dir = match (&settings.data_dir, &config.server.data_dir) {
        (Some(dir), _) => {
            let source = origin("data_dir", "--data-dir", "IMSDK_DATA_DIR");
            sources.set("server.data_dir", source);
            dir.clone()
        }
        (None, Some(dir)) => PathBuf::from(dir),
        (None, None) => PathBuf::from(DEFAULT_DATA_DIR),
    };
    // "" keeps everything in memory (docs/STORAGE.md). Else absolute, so that the path printed
    // at start is the one the store uses whatever the working directory becomes.
    if !data_dir.as_os_str().is_empty() {
        let data_dir = std::path::absolute(&data_dir)
            .map_err(|e| (2, format!("data directory {}: {e}", data_dir.display())))?;
        config.server.data_dir = Some(data_dir.to_string_lossy().into_owned());
    }
    // The development app (no file): a login with a valid UserSig imports its account, so a
    // first run needs no import step (docs/SERVER.md).
    if settings.config.is_none() {
        config.apps[0].auto_import_accounts = true;
    }
    config.validate().map_err(|e| (2, e.to_string()))?;
    Ok((config, sources))
}

fn run(args: RunArgs, matches: &ArgMatches) -> CliResult {
    imsdk_server::ops::logging::init(args.log_json);
    let listen = args.listen;
    let (config, _) = effective_config(&args.settings, matches)?;
    let dev = Config::dev_default();
    if args.settings.config.is_none() && config.apps[0].secret_key == dev.apps[0].secret_key {
        let app = &config.apps[0];
        println!("no --config: embedded development app (never use in production)");
        println!("  sdk_app_id = {}", app.sdk_app_id);
        println!("  secret_key = {}", app.secret_key);
        println!("  admin      = {}", app.admin);
    }
    if let Some(file) = &args.settings.config {
        warn_placeholder(&config, file);
    }
    match (&config.server.redis, config.server.data_dir.as_deref()) {
        (Some(_), _) => println!("data directory: none (cluster mode: Redis holds the data)"),
        (None, Some(dir)) if !dir.is_empty() => println!("data directory: {dir}"),
        (None, _) => println!("data directory: none (in memory only: nothing survives a restart)"),
    }
    let server = ServerHandle::start(config, listen).map_err(|e| match e.kind() {
        // A data directory or configuration the server cannot use: like a bad config, 2.
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => {
            (2, format!("cannot start: {e}"))
        }
        std::io::ErrorKind::ConnectionRefused => (1, format!("cannot start: {e}")),
        _ => (1, format!("cannot listen on {listen}: {e}")),
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
