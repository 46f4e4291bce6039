//! Settings for `factdesk serve`, read from the environment (and `.env`, loaded by main).
//! Parsing takes a lookup function so tests never touch the process environment.

use std::collections::HashSet;
use std::time::Duration;

/// Cooldown between questions from one person, unless FACTDESK_COOLDOWN_SECS says otherwise.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(3);
/// An unanswered cluster is posted to the moderator channel once asked this many times.
pub const DEFAULT_ALERT_ASKS: u64 = 3;
/// How often the question log is looked at for clusters to post.
pub const DEFAULT_ALERT_POLL: Duration = Duration::from_secs(60);
/// How long a repeated question gets a pointer instead of a second answer.
pub const DEFAULT_REPEAT_WINDOW: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "DISCORD_TOKEN is not set: put `DISCORD_TOKEN=<your bot token>` in the environment or in a .env file \
         (copy .env.example to .env; the token is under Bot in the Discord developer portal)"
    )]
    MissingToken,
    #[error("{name} is not valid ({value:?}): {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// Which shards this process runs: `first..=last` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub token: String,
    /// Base URL for REST and gateway discovery instead of https://discord.com.
    pub api_base: Option<String>,
    /// Register commands in this guild only (instant, for development).
    pub guild_id: Option<u64>,
    /// Channels where plain questions are answered when the bot is sure.
    pub newsroom_channels: HashSet<u64>,
    pub cooldown: Duration,
    pub repeat_window: Duration,
    /// None: autosharded.
    pub shards: Option<ShardRange>,
    /// Where each 👎 is posted for moderators.
    pub mod_channel: Option<u64>,
    /// Members with this role may use `/faq-admin` (as may those with Manage Server).
    pub mod_role: Option<u64>,
    /// The knowledge folder, reloaded by `/faq-admin reload` and when its files change;
    /// `None`: the built-in knowledge base, never reloaded.
    pub knowledge_dir: Option<std::path::PathBuf>,
    /// How often the knowledge folder is looked at for changes.
    pub reload_poll: Duration,
    /// Unanswered clusters asked this many times are posted to the moderator channel.
    pub alert_asks: u64,
    /// How often the question log is looked at for such clusters.
    pub alert_poll: Duration,
    /// `FACTDESK_METRICS_ADDR`: where the gateway bot serves `/healthz` and `/metrics`.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

// The token must never reach a log line.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("token", &"<hidden>")
            .field("api_base", &self.api_base)
            .field("guild_id", &self.guild_id)
            .field("newsroom_channels", &self.newsroom_channels)
            .field("cooldown", &self.cooldown)
            .field("repeat_window", &self.repeat_window)
            .field("shards", &self.shards)
            .field("mod_channel", &self.mod_channel)
            .field("mod_role", &self.mod_role)
            .field("knowledge_dir", &self.knowledge_dir)
            .field("alert_asks", &self.alert_asks)
            .field("metrics_addr", &self.metrics_addr)
            .finish()
    }
}

impl Settings {
    /// Settings with defaults and the given token, for tests and embedding.
    pub fn new(token: impl Into<String>) -> Self {
        Settings {
            token: token.into(),
            api_base: None,
            guild_id: None,
            newsroom_channels: HashSet::new(),
            cooldown: DEFAULT_COOLDOWN,
            repeat_window: DEFAULT_REPEAT_WINDOW,
            shards: None,
            mod_channel: None,
            mod_role: None,
            knowledge_dir: None,
            reload_poll: super::admin::POLL,
            alert_asks: DEFAULT_ALERT_ASKS,
            alert_poll: DEFAULT_ALERT_POLL,
            metrics_addr: None,
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // Empty values count as unset: `.env.example` lists every setting with an empty value.
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let token = get("DISCORD_TOKEN").ok_or(ConfigError::MissingToken)?;
        let mut settings = Settings::new(token);
        settings.api_base = get("DISCORD_API_BASE").map(|v| v.trim_end_matches('/').to_string());
        if let Some(v) = get("DISCORD_GUILD_ID") {
            settings.guild_id = Some(parse_id("DISCORD_GUILD_ID", &v)?);
        }
        if let Some(v) = get("FACTDESK_NEWSROOM_CHANNELS") {
            settings.newsroom_channels = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parse_id("FACTDESK_NEWSROOM_CHANNELS", s))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("FACTDESK_COOLDOWN_SECS") {
            settings.cooldown = parse_secs("FACTDESK_COOLDOWN_SECS", &v)?;
        }
        if let Some(v) = get("FACTDESK_REPEAT_WINDOW_SECS") {
            settings.repeat_window = parse_secs("FACTDESK_REPEAT_WINDOW_SECS", &v)?;
        }
        if let Some(v) = get("FACTDESK_MOD_CHANNEL") {
            settings.mod_channel = Some(parse_id("FACTDESK_MOD_CHANNEL", &v)?);
        }
        if let Some(v) = get("FACTDESK_MOD_ROLE") {
            settings.mod_role = Some(parse_id("FACTDESK_MOD_ROLE", &v)?);
        }
        if let Some(v) = get("FACTDESK_ALERT_ASKS") {
            settings.alert_asks =
                v.parse::<u64>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or(ConfigError::Invalid {
                        name: "FACTDESK_ALERT_ASKS",
                        value: v.clone(),
                        expected: "a whole number of asks, 1 or more",
                    })?;
        }
        if let Some(v) = get("FACTDESK_SHARDS") {
            settings.shards = Some(parse_shards(&v)?);
        }
        if let Some(v) = get("FACTDESK_METRICS_ADDR") {
            settings.metrics_addr = Some(v.trim().parse().map_err(|_| ConfigError::Invalid {
                name: "FACTDESK_METRICS_ADDR",
                value: v.clone(),
                expected: "an address to listen on, like 127.0.0.1:9100",
            })?);
        }
        Ok(settings)
    }
}

fn parse_id(name: &'static str, value: &str) -> Result<u64, ConfigError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|&id| id != 0)
        .ok_or_else(|| ConfigError::Invalid {
            name,
            value: value.to_string(),
            expected: "a Discord id (a positive number; comma-separated for channel lists)",
        })
}

fn parse_secs(name: &'static str, value: &str) -> Result<Duration, ConfigError> {
    value
        .parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|_| ConfigError::Invalid {
            name,
            value: value.to_string(),
            expected: "a whole number of seconds",
        })
}

/// `first-last/total` or `index/total`, e.g. `0-3/8`.
pub fn parse_shards(value: &str) -> Result<ShardRange, ConfigError> {
    let invalid = || ConfigError::Invalid {
        name: "FACTDESK_SHARDS",
        value: value.to_string(),
        expected: "`first-last/total` (e.g. `0-3/8`) or `index/total`, with first <= last < total",
    };
    let (range, total) = value.split_once('/').ok_or_else(invalid)?;
    let total: u32 = total.trim().parse().map_err(|_| invalid())?;
    let (first, last) = match range.split_once('-') {
        Some((a, b)) => (
            a.trim().parse().map_err(|_| invalid())?,
            b.trim().parse().map_err(|_| invalid())?,
        ),
        None => {
            let n: u32 = range.trim().parse().map_err(|_| invalid())?;
            (n, n)
        }
    };
    if first > last || last >= total {
        return Err(invalid());
    }
    Ok(ShardRange { first, last, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn token_is_required_and_empty_counts_as_missing() {
        assert_eq!(
            Settings::from_lookup(lookup(&[])),
            Err(ConfigError::MissingToken)
        );
        assert_eq!(
            Settings::from_lookup(lookup(&[("DISCORD_TOKEN", " ")])),
            Err(ConfigError::MissingToken)
        );
        assert!(ConfigError::MissingToken
            .to_string()
            .contains(".env.example"));
    }

    #[test]
    fn defaults_and_every_setting() {
        let s = Settings::from_lookup(lookup(&[("DISCORD_TOKEN", "t")])).unwrap();
        assert_eq!(s.cooldown, DEFAULT_COOLDOWN);
        assert_eq!(s.repeat_window, DEFAULT_REPEAT_WINDOW);
        assert_eq!(s.shards, None);
        let s = Settings::from_lookup(lookup(&[
            ("DISCORD_TOKEN", "t"),
            ("DISCORD_API_BASE", "http://127.0.0.1:9/"),
            ("DISCORD_GUILD_ID", "42"),
            ("FACTDESK_NEWSROOM_CHANNELS", "1, 2,,3"),
            ("FACTDESK_COOLDOWN_SECS", "0"),
            ("FACTDESK_REPEAT_WINDOW_SECS", "60"),
            ("FACTDESK_SHARDS", "2-3/8"),
            ("FACTDESK_MOD_CHANNEL", "77"),
            ("FACTDESK_MOD_ROLE", "78"),
            ("FACTDESK_ALERT_ASKS", "5"),
        ]))
        .unwrap();
        assert_eq!(s.alert_asks, 5);
        assert_eq!(s.mod_channel, Some(77));
        assert_eq!(s.mod_role, Some(78));
        assert_eq!(s.api_base.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(s.guild_id, Some(42));
        assert_eq!(s.newsroom_channels, HashSet::from([1, 2, 3]));
        assert_eq!(s.cooldown, Duration::ZERO);
        assert_eq!(s.repeat_window, Duration::from_secs(60));
        assert_eq!(
            s.shards,
            Some(ShardRange {
                first: 2,
                last: 3,
                total: 8
            })
        );
        assert!(!format!("{s:?}").contains("\"t\""));
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (name, value) in [
            ("DISCORD_GUILD_ID", "abc"),
            ("FACTDESK_NEWSROOM_CHANNELS", "1,x"),
            ("FACTDESK_COOLDOWN_SECS", "-1"),
            ("FACTDESK_SHARDS", "3-2/8"),
            ("FACTDESK_MOD_CHANNEL", "#mods"),
            ("FACTDESK_MOD_ROLE", "0"),
            ("FACTDESK_ALERT_ASKS", "0"),
            ("FACTDESK_ALERT_ASKS", "many"),
        ] {
            let pairs: &'static [(&str, &str)] =
                Box::leak(Box::new([("DISCORD_TOKEN", "t"), (name, value)]));
            let err = Settings::from_lookup(lookup(pairs)).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn shard_ranges() {
        assert_eq!(
            parse_shards("0/1"),
            Ok(ShardRange {
                first: 0,
                last: 0,
                total: 1
            })
        );
        assert_eq!(
            parse_shards("0-3/4"),
            Ok(ShardRange {
                first: 0,
                last: 3,
                total: 4
            })
        );
        assert!(parse_shards("0-4/4").is_err());
        assert!(parse_shards("4").is_err());
        assert!(parse_shards("a-b/c").is_err());
    }
}
