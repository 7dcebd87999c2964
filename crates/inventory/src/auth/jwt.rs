//! Bearer-token checks done by the function itself, as API Gateway's JWT authorizer does them:
//! RS256 signature, issuer, audience, expiry and not-before; `alg: none` and HMAC are refused.
//!
//! Why here too: a public route has no authorizer (`Authorizer: NONE`), so API Gateway passes no
//! claims and an `Authorization` header reaching the function has been checked by nobody. The
//! storefront's reads must stay public, yet signed-in staff should get the back-office view on
//! the same routes; so on public routes the function verifies the token itself, against the
//! issuer's published keys (JWKS), fetched on first use and cached for the container's life.
//! A storefront visitor without a token never causes a fetch.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A key set is fetched again for an unknown key id at most this often (keys rotate rarely;
/// a flood of forged key ids must not become a flood of fetches).
const REFETCH_AFTER: Duration = Duration::from_secs(300);
/// How long fetching the key set may take before the token is treated as unverifiable.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a token was not accepted. Only logged: on a public route the caller is then anonymous.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not valid: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("the token's key id is not among the issuer's keys")]
    UnknownKey,
    #[error("the issuer's keys cannot be fetched from {url}: {reason}")]
    Keys { url: String, reason: String },
}

/// The claims of a valid token, flattened to strings as API Gateway passes them to a function
/// (`requestContext.authorizer.jwt.claims`): arrays become `[a b]`.
pub type Claims = HashMap<String, String>;

/// Checks tokens from one issuer for one audience.
#[derive(Debug)]
pub struct JwtVerifier {
    issuer: String,
    audience: String,
    keys: Keys,
}

#[derive(Debug)]
enum Keys {
    /// One known key (the local gateway's dev key).
    Fixed(Box<DecodingKey>),
    /// The issuer's key set at a URL, cached.
    Jwks {
        url: String,
        client: reqwest::Client,
        cache: Mutex<Cached>,
    },
}

#[derive(Debug, Default)]
struct Cached {
    keys: Vec<(Option<String>, DecodingKey)>,
    fetched_at: Option<Instant>,
}

impl JwtVerifier {
    /// A verifier for tokens signed with this one key.
    pub fn with_key(issuer: &str, audience: &str, key: DecodingKey) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys: Keys::Fixed(Box::new(key)),
        }
    }

    /// A verifier for tokens signed with any key of the JWKS at `url`.
    pub fn with_jwks(issuer: &str, audience: &str, url: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys: Keys::Jwks {
                url: url.to_owned(),
                client: reqwest::Client::builder()
                    .timeout(FETCH_TIMEOUT)
                    .build()
                    .unwrap_or_default(),
                cache: Mutex::new(Cached::default()),
            },
        }
    }

    /// From `JWT_ISSUER` and `JWT_AUDIENCE` (set by template.yaml), with the keys at `JWKS_URL`,
    /// or at the issuer's `/.well-known/jwks.json` (where Cognito publishes them). `None` when
    /// no issuer is configured: then no token is ever accepted on a public route.
    pub fn from_env() -> Option<Self> {
        let issuer = std::env::var("JWT_ISSUER").ok().filter(|s| !s.is_empty())?;
        let audience = std::env::var("JWT_AUDIENCE")
            .ok()
            .filter(|s| !s.is_empty())?;
        let url = std::env::var("JWKS_URL")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
        Some(Self::with_jwks(&issuer, &audience, &url))
    }

    /// The claims of `token` if it is valid now.
    ///
    /// # Errors
    /// When the token is malformed, expired, not yet valid, for another issuer or audience,
    /// signed otherwise than RS256 with one of the issuer's keys, or the keys cannot be had.
    pub async fn verify(&self, token: &str) -> Result<Claims, JwtError> {
        let header = jsonwebtoken::decode_header(token)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        validation.validate_nbf = true;
        let decode = |key: &DecodingKey| {
            jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
                .map(|data| flatten_claims(data.claims))
                .map_err(JwtError::from)
        };
        match &self.keys {
            Keys::Fixed(key) => decode(key),
            Keys::Jwks { url, client, cache } => {
                let kid = header.kid.as_deref();
                if let Some(key) = lookup(cache, kid) {
                    return decode(&key);
                }
                if !due_for_fetch(cache) {
                    return Err(JwtError::UnknownKey);
                }
                let keys = fetch(client, url).await?;
                let mut cached = cache.lock().unwrap_or_else(PoisonError::into_inner);
                cached.keys = keys;
                cached.fetched_at = Some(Instant::now());
                drop(cached);
                let key = lookup(cache, kid).ok_or(JwtError::UnknownKey)?;
                decode(&key)
            }
        }
    }
}

/// The cached key for `kid`; a token without a key id matches a set of exactly one key.
fn lookup(cache: &Mutex<Cached>, kid: Option<&str>) -> Option<DecodingKey> {
    let cached = cache.lock().unwrap_or_else(PoisonError::into_inner);
    match kid {
        Some(kid) => cached
            .keys
            .iter()
            .find(|(k, _)| k.as_deref() == Some(kid))
            .map(|(_, key)| key.clone()),
        None if cached.keys.len() == 1 => cached.keys.first().map(|(_, key)| key.clone()),
        None => None,
    }
}

fn due_for_fetch(cache: &Mutex<Cached>) -> bool {
    let cached = cache.lock().unwrap_or_else(PoisonError::into_inner);
    cached
        .fetched_at
        .is_none_or(|at| at.elapsed() >= REFETCH_AFTER)
}

async fn fetch(
    client: &reqwest::Client,
    url: &str,
) -> Result<Vec<(Option<String>, DecodingKey)>, JwtError> {
    let failed = |reason: String| JwtError::Keys {
        url: url.to_owned(),
        reason,
    };
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("status {}", response.status())));
    }
    let set: JwkSet = response.json().await.map_err(|e| failed(e.to_string()))?;
    Ok(set
        .keys
        .iter()
        .filter_map(|jwk| {
            DecodingKey::from_jwk(jwk)
                .ok()
                .map(|key| (jwk.common.key_id.clone(), key))
        })
        .collect())
}

/// Claims as API Gateway hands them to a function: every value a string, arrays as `[a b]`.
pub fn flatten_claims(claims: Map<String, Value>) -> Claims {
    claims
        .into_iter()
        .map(|(name, value)| (name, flatten(&value)))
        .collect()
}

fn flatten(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(flatten).collect::<Vec<_>>().join(" ")
        ),
        other => other.to_string(),
    }
}
