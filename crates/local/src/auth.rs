//! Dev tokens and the local gateway's JWT check, done the way API Gateway's JWT authorizer does
//! it: RS256 signature, issuer, audience, expiry and not-before; `alg: none` and HMAC tokens are refused.
//!
//! The dev key pair is generated on first use into `.local/dev-jwt/` (git-ignored), never
//! committed.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine;
pub use inventory::auth::jwt::JwtVerifier;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{json, Value};
use std::path::Path;

/// The issuer of dev tokens. Deployed stacks use the `JwtIssuer` template parameter instead.
pub const DEV_ISSUER: &str = "https://inventory.local/dev-issuer";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot create the dev key pair: {0}")]
    Generate(String),
    #[error("cannot read or write {path}: {message}")]
    File { path: String, message: String },
    #[error("the dev key is not a usable RSA PEM key: {0}")]
    Pem(#[from] jsonwebtoken::errors::Error),
}

/// An RSA key pair for signing and checking dev tokens.
#[derive(Clone)]
pub struct DevKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub public_pem: String,
}

impl DevKeys {
    /// A fresh key pair, in memory.
    ///
    /// # Errors
    /// When the key cannot be generated.
    pub fn generate() -> Result<Self, KeyError> {
        let (private_pem, public_pem) = generate_pems()?;
        Self::from_pems(&private_pem, &public_pem)
    }

    /// The key pair in `dir`, generated there on first use.
    ///
    /// # Errors
    /// When the files cannot be read or written.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyError> {
        let private = dir.join("private.pem");
        let public = dir.join("public.pem");
        let io = |path: &Path, e: std::io::Error| KeyError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        // Owner only, also when an older version left the directory or the key readable to all.
        restrict(dir, 0o700).map_err(|e| io(dir, e))?;
        if !private.exists() || !public.exists() {
            let (private_pem, public_pem) = generate_pems()?;
            write_private(&private, &private_pem).map_err(|e| io(&private, e))?;
            std::fs::write(&public, public_pem).map_err(|e| io(&public, e))?;
        }
        restrict(&private, 0o600).map_err(|e| io(&private, e))?;
        let private_pem = std::fs::read_to_string(&private).map_err(|e| io(&private, e))?;
        let public_pem = std::fs::read_to_string(&public).map_err(|e| io(&public, e))?;
        Self::from_pems(&private_pem, &public_pem)
    }

    fn from_pems(private_pem: &str, public_pem: &str) -> Result<Self, KeyError> {
        Ok(Self {
            encoding: EncodingKey::from_rsa_pem(private_pem.as_bytes())?,
            decoding: DecodingKey::from_rsa_pem(public_pem.as_bytes())?,
            public_pem: public_pem.to_owned(),
        })
    }

    /// Signs `claims` (RS256).
    ///
    /// # Errors
    /// When the claims do not serialise.
    pub fn sign(&self, claims: &Value) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &self.encoding)
    }

    /// The public key as a JSON Web Key Set, as an issuer publishes it at
    /// `/.well-known/jwks.json`: what the deployed functions fetch to check tokens.
    pub fn jwks(&self) -> Value {
        let body: String = self
            .public_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let components = base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()
            .and_then(|der| aws_lc_rs::rsa::PublicKey::from_der(&der).ok())
            .map(|key| aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(&key));
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        match components {
            Some(c) => json!({ "keys": [{
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "dev",
                "n": b64(&c.n), "e": b64(&c.e),
            }] }),
            None => json!({ "keys": [] }),
        }
    }

    /// A verifier that accepts tokens signed by this pair for `audience`: the core's, so the
    /// local gateway checks tokens exactly as the functions do on public routes.
    pub fn verifier(&self, audience: &str) -> JwtVerifier {
        JwtVerifier::with_key(DEV_ISSUER, audience, self.decoding.clone())
    }
}

/// Sets `path`'s permission bits to `mode` (Unix; elsewhere the platform's defaults stand).
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Writes the private key, created owner-only so it is never readable by others, even briefly.
fn write_private(path: &Path, pem: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(pem.as_bytes())
}

/// What a dev token says about its holder.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub subject: String,
    pub roles: Vec<String>,
    pub stores: Vec<String>,
    pub audience: String,
    /// Seconds until expiry; negative for an already expired token.
    pub ttl_seconds: i64,
}

impl TokenSpec {
    pub fn claims(&self) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": DEV_ISSUER,
            "aud": self.audience,
            "sub": self.subject,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "roles": self.roles,
            "store_ids": self.stores,
        })
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn generate_pems() -> Result<(String, String), KeyError> {
    let pair =
        KeyPair::generate(KeySize::Rsa2048).map_err(|e| KeyError::Generate(e.to_string()))?;
    let private = pair
        .as_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let public = aws_lc_rs::signature::KeyPair::public_key(&pair)
        .as_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok((
        pem("PRIVATE KEY", private.as_ref()),
        pem("PUBLIC KEY", public.as_ref()),
    ))
}
