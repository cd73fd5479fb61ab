//! The JSON Web Key Set: the public keys that verify access tokens.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /.well-known/jwks.json`: the active signing key and the retired
/// keys still accepted for verification.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct JwksResponse {
    pub keys: Vec<Jwk>,
}

/// One RSA public key (RFC 7517). Only these members are ever served: a key
/// with private members (`d`, `p`, `q`, ...) in its source loses them here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Jwk {
    /// Always `RSA`.
    #[schema(examples("RSA"))]
    pub kty: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(rename = "use", examples("sig"))]
    pub key_use: String,
    /// Always `RS256`.
    #[schema(examples("RS256"))]
    pub alg: String,
    /// The RFC 7638 thumbprint of the key; access tokens name it in their
    /// header.
    #[schema(examples("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"))]
    pub kid: String,
    /// The modulus, base64url without padding.
    #[schema(examples(
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ))]
    pub n: String,
    /// The public exponent, base64url without padding.
    #[schema(examples("AQAB"))]
    pub e: String,
}
