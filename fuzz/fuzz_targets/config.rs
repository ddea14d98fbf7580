//! `config.toml` on arbitrary text: a config or an error naming the file, never a panic;
//! everything a run derives from a config that parses (call limits, tool limits, the
//! remote's settings, the MCP servers) is derived without a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use llmos::llm::CallConfig;
use llmos::workspace::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text, Path::new("config.toml")) {
        Ok(config) => {
            let _ = config.llm.call_config(CallConfig::default());
            let _ = config.request_timeout();
            let _ = config.allowed();
            let _ = llmos::tools::Limits::from_config(&config.limits);
            let _ = (config.remote.timeout(), config.remote.max_object_bytes());
            let _ = config.remote.lookup_enabled();
            let servers = config
                .mcp
                .servers()
                .expect("a config that parses has valid servers");
            for s in servers {
                let _ = s.fingerprint();
            }
        }
        Err(e) => assert!(e.to_string().contains("config.toml"), "{e}"),
    }
    let _ = llmos::workspace::parse_size(text);
});
