//! The AWS SDK configuration every function builds its clients from.
//!
//! The one change from the SDK's defaults is the HTTPS client's trust store. By default it
//! trusts the platform's root certificates, which rustls-native-certs reads and parses from disk
//! when the client is built: on this repository's machine 146 files, about 5 ms of an 8 ms cold
//! start (`make bench`; measured by pointing `SSL_CERT_FILE` and `SSL_CERT_DIR` at nothing). Every
//! endpoint a function calls (DynamoDB, EventBridge) presents a chain to Amazon Trust Services, so
//! the functions trust exactly those roots, compiled in: Amazon Root CA 1–4 and the Starfield
//! Services Root G2 that cross-signs them (<https://www.amazontrust.com/repository/>; copied from
//! Debian's ca-certificates 20230311; their SHA-256 fingerprints are pinned in the tests below).
//!
//! The command-line tools (`inventory-csv`, `inventory-local`) keep the SDK's defaults: they may
//! be pointed at any endpoint, and a person waits for them, not a cold start.

use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The roots of Amazon Trust Services, PEM.
pub const AMAZON_TRUST_SERVICES: [&[u8]; 5] = [
    include_bytes!("../certs/Amazon_Root_CA_1.pem"),
    include_bytes!("../certs/Amazon_Root_CA_2.pem"),
    include_bytes!("../certs/Amazon_Root_CA_3.pem"),
    include_bytes!("../certs/Amazon_Root_CA_4.pem"),
    include_bytes!("../certs/Starfield_Services_Root_Certificate_Authority_-_G2.pem"),
];

/// The SDK's configuration from the environment (region, credentials), with [`https_client`].
pub async fn config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client(&[]))
        .load()
        .await
}

/// The SDK's own HTTPS client (rustls on aws-lc-rs), trusting Amazon Trust Services' roots and
/// `extra` (PEM; the tests' own authority), never the platform's.
///
/// Should the trust store ever fail to build (it is fixed at compile time, so only a broken
/// build could), this falls back to the SDK's default client, logged: slower to start, never
/// unable to connect.
pub fn https_client(extra: &[&[u8]]) -> SharedHttpClient {
    let trust = AMAZON_TRUST_SERVICES.iter().chain(extra).fold(
        TrustStore::empty().with_native_roots(false),
        |store, pem| store.with_pem_certificate(*pem),
    );
    let provider = || tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc);
    match TlsContext::builder().with_trust_store(trust).build() {
        Ok(context) => aws_smithy_http_client::Builder::new()
            .tls_provider(provider())
            .tls_context(context)
            .build_https(),
        Err(error) => {
            tracing::error!(%error, "the compiled-in trust store does not load; using the platform's");
            aws_smithy_http_client::Builder::new()
                .tls_provider(provider())
                .build_https()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fingerprint::sha256_hex;

    /// The DER inside a PEM certificate.
    fn der(pem: &[u8]) -> Vec<u8> {
        use base64::Engine;
        let text = std::str::from_utf8(pem).expect("PEM is text");
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64")
    }

    #[test]
    fn the_compiled_in_roots_are_amazon_trust_services_by_fingerprint() {
        // As Debian's ca-certificates 20230311 ships them (`openssl x509 -fingerprint -sha256`);
        // Amazon Root CA 1's is the one https://www.amazontrust.com/repository/ publishes.
        let published = [
            "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
            "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
            "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
            "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
            "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
        ];
        let actual: Vec<String> = AMAZON_TRUST_SERVICES
            .iter()
            .map(|pem| sha256_hex(&der(pem)))
            .collect();
        assert_eq!(actual, published);
    }
}
