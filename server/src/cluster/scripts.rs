//! The Lua scripts (`lua/*.lua`), each with the shared functions of `lua/lib.lua` in front.
//! `redis::Script` runs them with EVALSHA and falls back to EVAL after a Redis restart.

use redis::Script;

const LIB: &str = include_str!("lua/lib.lua");

fn script(body: &str) -> Script {
    Script::new(&format!("{LIB}\n{body}"))
}

pub struct Scripts {
    pub login: Script,
    pub end: Script,
    pub custom: Script,
    pub statuses: Script,
    pub subscribe: Script,
    pub unsubscribe: Script,
    pub friend: Script,
    pub rate: Script,
    pub sweep: Script,
    pub sync: Script,
    pub followed: Script,
}

impl Scripts {
    pub fn new() -> Scripts {
        Scripts {
            login: script(include_str!("lua/login.lua")),
            end: script(include_str!("lua/end.lua")),
            custom: script(include_str!("lua/custom.lua")),
            statuses: script(include_str!("lua/statuses.lua")),
            subscribe: script(include_str!("lua/subscribe.lua")),
            unsubscribe: script(include_str!("lua/unsubscribe.lua")),
            friend: script(include_str!("lua/friend.lua")),
            rate: script(include_str!("lua/rate.lua")),
            sweep: script(include_str!("lua/sweep.lua")),
            sync: script(include_str!("lua/sync.lua")),
            followed: script(include_str!("lua/followed.lua")),
        }
    }
}
