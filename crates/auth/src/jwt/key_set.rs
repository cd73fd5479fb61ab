//! The verification keys: the active signing key's public key and the
//! retired public keys still accepted, each under its RFC 7638 thumbprint,
//! and the JSON Web Key Set that publishes them.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;

use anyhow::Context;
use jsonwebtoken::DecodingKey;
use serde_json::{Value, json};

use crate::keys::{KeyLoadError, PublicKey, load_public_key_pem, public_jwk, thumbprint};

/// Keys by `kid`. A lookup is a hash-map probe on a bounded string: no file,
/// no path, no query, whatever the `kid` says.
pub(super) struct KeySet {
    by_kid: HashMap<String, DecodingKey>,
    /// Active key first, then the retired ones, as published.
    kids: Vec<String>,
    jwks: Value,
}

impl KeySet {
    /// `active` first; a retired key equal to another is listed once.
    pub fn new(active: &PublicKey, retired: &[PublicKey]) -> anyhow::Result<Self> {
        let mut by_kid = HashMap::new();
        let mut kids = Vec::new();
        let mut jwks = Vec::new();
        for key in std::iter::once(active).chain(retired) {
            let kid = thumbprint(key);
            if by_kid.contains_key(&kid) {
                continue;
            }
            let der = key
                .to_pkcs1_der()
                .with_context(|| format!("re-encoding {} for the verifier failed", key.origin()))?;
            by_kid.insert(kid.clone(), DecodingKey::from_rsa_der(der.as_bytes()));
            jwks.push(public_jwk(key, &kid));
            kids.push(kid);
        }
        Ok(Self {
            by_kid,
            kids,
            jwks: json!({ "keys": jwks }),
        })
    }

    pub fn get(&self, kid: &str) -> Option<&DecodingKey> {
        self.by_kid.get(kid)
    }

    pub fn kids(&self) -> &[String] {
        &self.kids
    }

    pub fn jwks(&self) -> &Value {
        &self.jwks
    }
}

/// Every `*.pem` in `dir` as a public key, in file-name order. A missing
/// directory holds no keys.
///
/// # Errors
/// [`KeyLoadError::Read`] naming the directory or the file that cannot be
/// read; [`KeyLoadError::Malformed`] / [`KeyLoadError::UnsupportedSize`]
/// naming a file that is not an acceptable RSA public key (a private key
/// there is refused, not published).
pub(super) fn load_retired_keys(dir: &Path) -> Result<Vec<PublicKey>, KeyLoadError> {
    let read_error = |source| KeyLoadError::Read {
        origin: dir.display().to_string(),
        source,
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(read_error(err)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(read_error)?.path();
        if path.extension().is_some_and(|ext| ext == "pem") {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|path| load_public_key_pem(path)).collect()
}
