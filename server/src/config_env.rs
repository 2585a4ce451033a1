//! Every config-file setting as an environment variable, over the file's value:
//! `IMSDK_SERVER_<KEY>` for `[server] <key>` and `IMSDK_APP_<KEY>` for the first `[[app]]`'s `<key>`
//! (`IMSDK_APP_LIMITS_<KEY>` for its `[app.limits]`). Values are TOML values (`20`, `true`,
//! `["a","b"]`); anything else is taken as a string (`ultimate`, `http://...`).

use crate::config::{Config, ConfigError};
use toml::{Table, Value};

pub const SERVER_PREFIX: &str = "IMSDK_SERVER_";
pub const APP_PREFIX: &str = "IMSDK_APP_";
const LIMITS: &str = "limits_";

/// `base` with every `IMSDK_SERVER_*` / `IMSDK_APP_*` variable of `vars` applied, checked again.
pub fn apply(
    base: &Config,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut table = Table::try_from(base).map_err(|e| ConfigError(e.to_string()))?;
    let mut changed = false;
    for (name, value) in vars {
        let Some((section, key)) = target(&name) else {
            continue;
        };
        let section = match section {
            Section::Server => server_table(&mut table),
            Section::App | Section::AppLimits => {
                let app = first_app(&mut table)
                    .ok_or_else(|| ConfigError(format!("{name}: no [[app]] to apply it to")))?;
                match section {
                    Section::AppLimits => sub_table(app, "limits"),
                    _ => app,
                }
            }
        };
        section.insert(key, parse(&value));
        changed = true;
    }
    if !changed {
        return Ok(base.clone());
    }
    let config: Config = Value::Table(table)
        .try_into()
        .map_err(|e| ConfigError(format!("bad IMSDK_SERVER_*/IMSDK_APP_* variable: {e}")))?;
    config.validate()?;
    Ok(config)
}

/// The table a variable sets a key of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `[server]`
    Server,
    /// The first `[[app]]`.
    App,
    /// The first app's `[app.limits]`.
    AppLimits,
}

/// Which setting a variable names (`IMSDK_APP_LIMITS_RATE_CALLS`: `AppLimits`, `rate_calls`);
/// None for any other variable. The key is not checked here (`apply` refuses unknown ones).
pub fn target(name: &str) -> Option<(Section, String)> {
    if let Some(key) = name.strip_prefix(SERVER_PREFIX) {
        return Some((Section::Server, key.to_ascii_lowercase()));
    }
    let key = name.strip_prefix(APP_PREFIX)?.to_ascii_lowercase();
    Some(match key.strip_prefix(LIMITS) {
        Some(limit) => (Section::AppLimits, limit.to_owned()),
        None => (Section::App, key),
    })
}

/// Settings without a default value, absent from a serialised config until set.
pub const OPTIONAL_SERVER_KEYS: [&str; 7] = [
    "tls_cert",
    "tls_key",
    "redis",
    "data_dir",
    "state_file",
    "metrics_token",
    "metrics_listen",
];
pub const OPTIONAL_APP_KEYS: [&str; 2] = ["callback_url", "callback_token"];

fn parse(text: &str) -> Value {
    toml::from_str::<Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

fn sub_table<'a>(table: &'a mut Table, key: &str) -> &'a mut Table {
    let entry = table
        .entry(key)
        .or_insert_with(|| Value::Table(Table::new()));
    if !entry.is_table() {
        *entry = Value::Table(Table::new());
    }
    match entry {
        Value::Table(t) => t,
        _ => unreachable!("made a table above"),
    }
}

fn server_table(table: &mut Table) -> &mut Table {
    sub_table(table, "server")
}

fn first_app(table: &mut Table) -> Option<&mut Table> {
    table
        .get_mut("app")?
        .as_array_mut()?
        .first_mut()?
        .as_table_mut()
}

/// One line per variable with its default, for `--help`.
pub fn help() -> String {
    let mut out = String::new();
    let config = Config::dev_default();
    let Ok(mut table) = Table::try_from(&config) else {
        return out;
    };
    let mut line = |name: String, value: &dyn std::fmt::Display| {
        out.push_str(&format!("  {name:<44} (default {value})\n"));
    };
    for (key, value) in server_table(&mut table).iter() {
        line(
            format!("{SERVER_PREFIX}{}", key.to_ascii_uppercase()),
            value,
        );
    }
    for key in OPTIONAL_SERVER_KEYS {
        line(
            format!("{SERVER_PREFIX}{}", key.to_ascii_uppercase()),
            &"none",
        );
    }
    if let Some(app) = first_app(&mut table) {
        for (key, value) in app.iter() {
            match value {
                Value::Table(limits) => {
                    for (k, v) in limits {
                        line(
                            format!(
                                "{APP_PREFIX}{}_{}",
                                key.to_ascii_uppercase(),
                                k.to_ascii_uppercase()
                            ),
                            v,
                        );
                    }
                }
                _ => line(format!("{APP_PREFIX}{}", key.to_ascii_uppercase()), value),
            }
        }
    }
    for key in OPTIONAL_APP_KEYS {
        line(format!("{APP_PREFIX}{}", key.to_ascii_uppercase()), &"none");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn server_app_and_limit_values_are_applied() {
        let c = apply(
            &Config::dev_default(),
            vars(&[
                ("IMSDK_SERVER_OUTBOUND_QUEUE", "7"),
                ("IMSDK_SERVER_TLS_CERT", "/etc/c.pem"),
                ("IMSDK_SERVER_TLS_KEY", "/etc/k.pem"),
                ("IMSDK_APP_PLAN", "basic"),
                ("IMSDK_APP_ACCOUNTS", r#"["a","b"]"#),
                ("IMSDK_APP_CALLBACK_URL", "http://hooks:8080/cb"),
                ("IMSDK_APP_LIMITS_RATE_CALLS", "3"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.outbound_queue, 7);
        assert_eq!(c.server.tls_cert.as_deref(), Some("/etc/c.pem"));
        assert_eq!(c.apps[0].plan, crate::config::Plan::Basic);
        assert_eq!(c.apps[0].accounts, ["a", "b"]);
        assert_eq!(
            c.apps[0].callback_url.as_deref(),
            Some("http://hooks:8080/cb")
        );
        assert_eq!(c.apps[0].limits.rate_calls, 3);
        assert_eq!(c.apps[0].limits.get_max_ids, 500);
    }

    #[test]
    fn unknown_or_bad_values_are_errors() {
        for bad in [
            ("IMSDK_SERVER_NO_SUCH", "1"),
            ("IMSDK_SERVER_OUTBOUND_QUEUE", "many"),
            ("IMSDK_SERVER_OUTBOUND_QUEUE", "0"),
            ("IMSDK_APP_PLAN", "gold"),
            ("IMSDK_APP_CALLBACK_URL", "hooks:8080/cb"),
        ] {
            assert!(
                apply(&Config::dev_default(), vars(&[bad])).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn help_lists_every_setting() {
        // Every key of a config with every optional setting present.
        let mut config = Config::dev_default();
        let some = || Some("x".to_owned());
        let s = &mut config.server;
        (s.tls_cert, s.tls_key, s.redis, s.data_dir, s.state_file) =
            (some(), some(), some(), some(), some());
        s.metrics_token = some();
        s.metrics_listen = Some("127.0.0.1:9100".parse().unwrap());
        (config.apps[0].callback_url, config.apps[0].callback_token) = (some(), some());
        let mut table = Table::try_from(&config).unwrap();
        let mut names: Vec<String> = server_table(&mut table)
            .keys()
            .map(|k| format!("{SERVER_PREFIX}{k}"))
            .collect();
        for (key, value) in first_app(&mut table).unwrap().iter() {
            match value {
                Value::Table(limits) => {
                    names.extend(limits.keys().map(|k| format!("{APP_PREFIX}{key}_{k}")))
                }
                _ => names.push(format!("{APP_PREFIX}{key}")),
            }
        }
        let help = help();
        assert!(names.len() > 30, "{names:?}");
        for name in names {
            let name = name.to_ascii_uppercase();
            assert!(help.contains(&format!("  {name} ")), "{name} in {help}");
        }
    }
}
