//! Where every HTTP client comes from (the `http.*` tools and the LLM providers):
//! reqwest over rustls, with `ring` as the crypto provider.

/// A client builder with the crypto provider installed. `ring` initializes itself on first
/// use; aws-lc, reqwest's default, probes the CPU in a constructor that every `llmos`
/// process would pay at start, HTTP or not.
pub fn client_builder() -> reqwest::ClientBuilder {
    // Installing twice (two clients, or a race between threads) is harmless: the first
    // provider stays, and it is this same one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
