//! A configuration as TOML for people: `imsdk-server config` (the effective settings, secrets masked,
//! each value with where it came from) and `imsdk-server default-config` (the commented template the
//! Debian package installs as `/etc/imsdk/imsdk.toml`). Both walk the same serialised `Config`, so a
//! new setting shows up in both without being listed here.

use crate::config::Config;
use crate::config_env::{self, Section, OPTIONAL_APP_KEYS, OPTIONAL_SERVER_KEYS};
use std::collections::HashMap;
use std::fmt;
use toml::{Table, Value};

/// The template's secret key: public (it is in this source and in every package), so a server
/// using it warns at start and `check-config` warns too. Replace it before use.
pub const PLACEHOLDER_SECRET_KEY: &str = "CHANGE-ME-placeholder-key-from-the-template";

/// The `[[app]]` keys without a default: the template keeps them uncommented.
pub const REQUIRED_APP_KEYS: [&str; 6] = [
    "sdk_app_id",
    "secret_key",
    "admin",
    "plan",
    "user_status_enabled",
    "friend_status_notify",
];

/// Keys whose value is shown as `********`.
const SECRET_KEYS: [&str; 3] = ["secret_key", "callback_token", "metrics_token"];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    /// An environment variable, by name.
    Env(String),
    /// A command-line flag, by name.
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File => f.write_str("file"),
            Source::Env(name) => write!(f, "environment {name}"),
            Source::Flag(name) => write!(f, "flag {name}"),
        }
    }
}

/// Where each value of one config came from. Keys are dotted paths: `server.KEY`, `app.N.KEY`,
/// `app.N.limits.KEY`.
#[derive(Debug, Default)]
pub struct Sources {
    /// The config file as written (None: no file).
    file: Option<Table>,
    /// Values set by variables or flags, the later call winning.
    set: HashMap<String, Source>,
}

impl Sources {
    /// Sources of a config read from a file with this text (None: no file).
    pub fn new(file_text: Option<&str>) -> Sources {
        Sources {
            file: file_text.and_then(|text| toml::from_str(text).ok()),
            set: HashMap::new(),
        }
    }

    /// Records every `IMSDK_SERVER_*` / `IMSDK_APP_*` variable of `vars` (as `config_env::apply`
    /// applies them).
    pub fn env(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        for (name, _) in vars {
            if let Some((section, key)) = config_env::target(&name) {
                let path = match section {
                    Section::Server => format!("server.{key}"),
                    Section::App => format!("app.0.{key}"),
                    Section::AppLimits => format!("app.0.limits.{key}"),
                };
                self.set.insert(path, Source::Env(name));
            }
        }
    }

    /// Records a value set by the command line or its variable (`server.data_dir`, ...).
    pub fn set(&mut self, path: &str, source: Source) {
        self.set.insert(path.to_owned(), source);
    }

    fn of(&self, path: &[&str]) -> Source {
        if let Some(source) = self.set.get(&path.join(".")) {
            return source.clone();
        }
        let (first, rest) = path.split_first().expect("a path has a key");
        let in_file = self
            .file
            .as_ref()
            .and_then(|t| t.get(*first))
            .and_then(|node| {
                rest.iter().try_fold(node, |node, part| match node {
                    Value::Table(t) => t.get(*part),
                    Value::Array(a) => a.get(part.parse::<usize>().ok()?),
                    _ => None,
                })
            });
        match in_file {
            Some(_) => Source::File,
            None => Source::Default,
        }
    }
}

/// One line of the walk: a table header or a key with its value (None: an optional key not set).
enum Item {
    Header(&'static str),
    Key {
        path: Vec<String>,
        value: Option<Value>,
    },
}

/// Every table and key of `config` in file order: `[server]`, then each `[[app]]` and its
/// `[app.limits]`; optional keys that are not set are listed too.
fn walk(config: &Config) -> Vec<Item> {
    let mut items = Vec::new();
    let Ok(table) = Table::try_from(config) else {
        return items;
    };
    let child = |prefix: &[String], key: &str| {
        let mut path = prefix.to_vec();
        path.push(key.to_owned());
        path
    };
    let section =
        |items: &mut Vec<Item>, table: Option<&Table>, prefix: &[String], optional: &[&str]| {
            let empty = Table::new();
            let table = table.unwrap_or(&empty);
            for (key, value) in table.iter().filter(|(_, v)| !v.is_table()) {
                items.push(Item::Key {
                    path: child(prefix, key),
                    value: Some(value.clone()),
                });
            }
            for key in optional.iter().filter(|k| !table.contains_key(**k)) {
                items.push(Item::Key {
                    path: child(prefix, key),
                    value: None,
                });
            }
        };
    items.push(Item::Header("[server]"));
    let server = table.get("server").and_then(Value::as_table);
    section(
        &mut items,
        server,
        &["server".into()],
        &OPTIONAL_SERVER_KEYS,
    );
    let apps = table.get("app").and_then(Value::as_array);
    for (i, app) in apps.into_iter().flatten().enumerate() {
        let prefix = ["app".to_owned(), i.to_string()];
        items.push(Item::Header("[[app]]"));
        section(&mut items, app.as_table(), &prefix, &OPTIONAL_APP_KEYS);
        items.push(Item::Header("[app.limits]"));
        let limits = app.get("limits").and_then(Value::as_table);
        let prefix = child(&prefix, "limits");
        section(&mut items, limits, &prefix, &[]);
    }
    items
}

/// `key = value` padded for a trailing comment.
fn assignment(key: &str, value: &Value) -> String {
    format!("{key} = {value}")
}

fn with_comment(line: String, comment: &str) -> String {
    format!("{line:<48} # {comment}\n")
}

/// The effective configuration: every value with its source, secrets masked.
pub fn effective(config: &Config, sources: &Sources) -> String {
    let mut out = String::from(
        "# imsdk-server: effective configuration (imsdk-server config). Secrets are masked;\n\
         # after each value, where it came from: default, file, environment VARIABLE or flag --NAME.\n",
    );
    for item in walk(config) {
        match item {
            Item::Header(header) => out += &format!("\n{header}\n"),
            Item::Key { path, value } => {
                let parts: Vec<&str> = path.iter().map(String::as_str).collect();
                let key = parts.last().copied().unwrap_or_default();
                let source = sources.of(&parts).to_string();
                let line = match value {
                    Some(value) => assignment(key, &masked(key, value)),
                    None => format!("# {key} (not set)"),
                };
                out += &with_comment(line, &source);
            }
        }
    }
    out
}

/// The commented template (`/etc/imsdk/imsdk.toml` of the package): every setting at its default,
/// commented out, and one placeholder app to edit. `check-config` accepts it as it is.
pub fn template() -> String {
    let mut config = Config::dev_default();
    config.apps[0].secret_key = PLACEHOLDER_SECRET_KEY.into();
    let mut out = String::from(
        "# imsdk-server configuration (docs/OPERATIONS.md; every setting: docs/SERVER.md).\n\
         # Commented lines show the defaults: uncomment a line to change it. Every setting can also be\n\
         # set by an environment variable over this file (imsdk-server --help lists them), e.g. in a\n\
         # systemd drop-in: `systemctl edit imsdk-server`. Check a change: imsdk-server check-config FILE\n",
    );
    for item in walk(&config) {
        match item {
            Item::Header("[[app]]") => {
                out += "\n# One [[app]] table per app. This one is a PLACEHOLDER: set your SDKAppID, admin\n\
                        # and secret key (from Tencent's console, or any long random string). The key below\n\
                        # is public, anyone could sign UserSigs with it: the server warns while it is used.\n\
                        [[app]]\n";
            }
            // An [app.limits] header with only comments under it is valid: no overrides.
            Item::Header(header) => out += &format!("\n{header}\n"),
            Item::Key { path, value } => {
                let key = path.last().map(String::as_str).unwrap_or_default();
                let in_app = path.len() == 3 && path[0] == "app";
                out += &match value {
                    Some(value) if in_app && REQUIRED_APP_KEYS.contains(&key) => {
                        format!("{}\n", assignment(key, &value))
                    }
                    Some(value) => format!("# {}\n", assignment(key, &value)),
                    None => format!("# {key} = ...  (optional, no default)\n"),
                };
            }
        }
    }
    out
}

/// A value as shown: secret keys as `********`, the password of a URL (`redis://:PASS@host`) as `****`.
fn masked(key: &str, value: Value) -> Value {
    match value {
        Value::String(s) if SECRET_KEYS.contains(&key) && !s.is_empty() => {
            Value::String("********".into())
        }
        Value::String(s) => Value::String(mask_url_password(&s)),
        other => other,
    }
}

/// `scheme://user:PASSWORD@host/...` with the password replaced; anything else unchanged.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:****@{host}{path}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_masked() {
        assert_eq!(
            mask_url_password("redis://:s3cret@db:6379/2"),
            "redis://:****@db:6379/2"
        );
        assert_eq!(
            mask_url_password("rediss://app:p@ss@db"),
            "rediss://app:****@db"
        );
        assert_eq!(mask_url_password("redis://db:6379"), "redis://db:6379");
        assert_eq!(mask_url_password("redis://user@db"), "redis://user@db");
        assert_eq!(mask_url_password("plain text"), "plain text");
    }

    #[test]
    fn template_is_a_valid_config_with_the_placeholder_app() {
        let config = Config::from_toml(&template()).expect("the template is accepted");
        assert_eq!(config.apps.len(), 1);
        assert_eq!(config.apps[0].secret_key, PLACEHOLDER_SECRET_KEY);
        // Every commented default, uncommented, gives the same config back.
        let uncommented: String = template()
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(kv) if kv.contains(" = ") && !kv.contains(" = ...") => kv,
                _ => l,
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let full = Config::from_toml(&uncommented).expect("uncommented defaults are valid");
        assert_eq!(
            toml::to_string(&full).unwrap(),
            toml::to_string(&config).unwrap()
        );
    }

    #[test]
    fn required_app_keys_are_exactly_those_without_a_default() {
        let table = Table::try_from(Config::dev_default()).unwrap();
        let app = table["app"][0].as_table().unwrap();
        for key in app.keys().filter(|k| *k != "limits") {
            let mut without = app.clone();
            without.remove(key);
            // Serialised on its own, limits would be a top-level [limits]; it has defaults.
            without.remove("limits");
            let text = format!("[[app]]\n{}", toml::to_string(&without).unwrap());
            let parsed = Config::from_toml(&text);
            assert_eq!(
                parsed.is_err(),
                REQUIRED_APP_KEYS.contains(&key.as_str()),
                "{key}: {parsed:?}"
            );
        }
    }

    #[test]
    fn sources_distinguish_default_file_env_and_flags() {
        let file = "[server]\nmax_frame_bytes = 8192\n[[app]]\nsdk_app_id = 1\n[app.limits]\nrate_calls = 3\n";
        let mut sources = Sources::new(Some(file));
        sources.env([("IMSDK_APP_LIMITS_GET_MAX_IDS".into(), "9".into())]);
        sources.set("server.redis", Source::Flag("--redis".into()));
        assert_eq!(sources.of(&["server", "max_frame_bytes"]), Source::File);
        assert_eq!(sources.of(&["server", "outbound_queue"]), Source::Default);
        assert_eq!(sources.of(&["app", "0", "sdk_app_id"]), Source::File);
        assert_eq!(sources.of(&["app", "1", "sdk_app_id"]), Source::Default);
        assert_eq!(
            sources.of(&["app", "0", "limits", "rate_calls"]),
            Source::File
        );
        assert_eq!(
            sources.of(&["app", "0", "limits", "get_max_ids"]),
            Source::Env("IMSDK_APP_LIMITS_GET_MAX_IDS".into())
        );
        assert_eq!(
            sources.of(&["server", "redis"]),
            Source::Flag("--redis".into())
        );
    }
}
