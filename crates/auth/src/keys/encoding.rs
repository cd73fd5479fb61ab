//! RSA keys in their DER structures: PKCS#8 `PrivateKeyInfo`, PKCS#1
//! `RSAPrivateKey` / `RSAPublicKey` and SPKI `SubjectPublicKeyInfo`, decoded
//! into the parts this crate uses and encoded back canonically.
//!
//! The `pkcs8`, `pkcs1` and `spki` crates only parse and encode; the one
//! check that needs RSA arithmetic (do the numbers form a key?) is aws-lc's.
//! The decoders implement the `TryFrom` conversions those crates' PEM and DER
//! traits (`DecodePrivateKey`, `DecodeRsaPrivateKey`, `DecodePublicKey`,
//! `DecodeRsaPublicKey`) are built on, so every form is read by the same
//! code and reports the same errors.

use pkcs8::der::asn1::{BitStringRef, Null};
use pkcs8::der::pem::{LineEnding, PemLabel};
use pkcs8::der::zeroize::Zeroizing;
use pkcs8::der::{Document, SecretDocument};
use pkcs8::spki::{self, SubjectPublicKeyInfoRef};
use pkcs8::{AlgorithmIdentifierRef, PrivateKeyInfo};

use super::{MAX_RSA_BITS, MIN_RSA_BITS};

/// The public half: modulus and exponent, big-endian without leading zeros
/// (as in a JWK).
#[derive(Clone, PartialEq, Eq)]
pub(super) struct RsaPublicParts {
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

impl RsaPublicParts {
    fn from_pkcs1(key: &pkcs1::RsaPublicKey<'_>) -> Self {
        Self {
            modulus: key.modulus.as_bytes().to_vec(),
            exponent: key.public_exponent.as_bytes().to_vec(),
        }
    }

    pub(super) fn modulus(&self) -> &[u8] {
        &self.modulus
    }

    pub(super) fn exponent(&self) -> &[u8] {
        &self.exponent
    }

    /// The modulus size in bits.
    pub(super) fn bits(&self) -> usize {
        match self.modulus.first() {
            Some(&top) => self.modulus.len() * 8 - top.leading_zeros() as usize,
            None => 0,
        }
    }

    /// Whether aws-lc should check the numbers. A key of another size is
    /// refused for its size right after decoding (and aws-lc checks no key
    /// below 2048 bits).
    fn checkable(&self) -> bool {
        (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&self.bits())
    }

    /// PKCS#1 `RSAPublicKey` DER.
    pub(super) fn to_pkcs1_der(&self) -> pkcs1::Result<Document> {
        Ok(Document::encode_msg(&pkcs1::RsaPublicKey {
            modulus: pkcs1::UintRef::new(&self.modulus)?,
            public_exponent: pkcs1::UintRef::new(&self.exponent)?,
        })?)
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), LF line endings.
    pub(super) fn to_spki_pem(&self) -> spki::Result<String> {
        let pkcs1 = self.to_pkcs1_der()?;
        let spki = SubjectPublicKeyInfoRef {
            algorithm: pkcs1::ALGORITHM_ID,
            subject_public_key: BitStringRef::new(0, pkcs1.as_bytes())?,
        };
        Ok(Document::try_from(spki)?.to_pem(SubjectPublicKeyInfoRef::PEM_LABEL, LineEnding::LF)?)
    }
}

impl<'a> TryFrom<SubjectPublicKeyInfoRef<'a>> for RsaPublicParts {
    type Error = spki::Error;

    /// An SPKI (or, through `DecodeRsaPublicKey`, a PKCS#1 key wrapped as
    /// one) holding an `rsaEncryption` key that aws-lc accepts.
    fn try_from(info: SubjectPublicKeyInfoRef<'a>) -> spki::Result<Self> {
        check_algorithm(&info.algorithm)?;
        let der = info
            .subject_public_key
            .as_bytes()
            .ok_or(spki::Error::KeyMalformed)?;
        let parts = Self::from_pkcs1(&pkcs1::RsaPublicKey::try_from(der)?);
        // The same checks as the verifier's: odd modulus, odd exponent of
        // 2 to 33 bits.
        if parts.checkable() && aws_lc_rs::rsa::PublicKey::from_der(der).is_err() {
            return Err(spki::Error::KeyMalformed);
        }
        Ok(parts)
    }
}

/// A private key: its canonical PKCS#1 DER (wiped from memory on drop) and
/// its public half.
pub(super) struct RsaPrivateParts {
    pkcs1: SecretDocument,
    public: RsaPublicParts,
}

impl RsaPrivateParts {
    pub(super) fn public(&self) -> &RsaPublicParts {
        &self.public
    }

    /// PKCS#1 `RSAPrivateKey` DER: two primes, version 0, re-encoded from
    /// the decoded numbers.
    pub(super) fn pkcs1_der(&self) -> &SecretDocument {
        &self.pkcs1
    }

    /// PKCS#8 `PrivateKeyInfo` DER (version 1, `rsaEncryption` with NULL
    /// parameters, no attributes) around [`Self::pkcs1_der`]: the same bytes
    /// for a key whatever form it was read from.
    pub(super) fn to_pkcs8_der(&self) -> pkcs8::Result<SecretDocument> {
        SecretDocument::try_from(PrivateKeyInfo::new(
            pkcs1::ALGORITHM_ID,
            self.pkcs1.as_bytes(),
        ))
    }

    /// [`Self::to_pkcs8_der`] as PEM (`-----BEGIN PRIVATE KEY-----`), LF
    /// line endings. Wiped from memory on drop.
    pub(super) fn to_pkcs8_pem(&self) -> pkcs8::Result<Zeroizing<String>> {
        Ok(self
            .to_pkcs8_der()?
            .to_pem(PrivateKeyInfo::PEM_LABEL, LineEnding::LF)?)
    }
}

impl<'a> TryFrom<PrivateKeyInfo<'a>> for RsaPrivateParts {
    type Error = pkcs8::Error;

    /// A PKCS#8 key (or, through `DecodeRsaPrivateKey`, a PKCS#1 key wrapped
    /// as one): two-prime RSA whose numbers aws-lc finds consistent
    /// (`RSA_check_key`: n = pq, d and the CRT values match e, p and q).
    fn try_from(info: PrivateKeyInfo<'a>) -> pkcs8::Result<Self> {
        check_algorithm(&info.algorithm)?;
        let key = pkcs1::RsaPrivateKey::try_from(info.private_key)?;
        if key.version() != pkcs1::Version::TwoPrime {
            return Err(pkcs1::Error::Version.into());
        }
        let pkcs1 = SecretDocument::encode_msg(&key)?;
        let public = RsaPublicParts::from_pkcs1(&key.public_key());
        if public.checkable() && aws_lc_rs::rsa::KeyPair::from_der(pkcs1.as_bytes()).is_err() {
            return Err(pkcs8::Error::KeyMalformed);
        }
        Ok(Self { pkcs1, public })
    }
}

/// `rsaEncryption` with NULL parameters, as RFC 8017 (A.1) requires.
fn check_algorithm(algorithm: &AlgorithmIdentifierRef<'_>) -> spki::Result<()> {
    algorithm.assert_algorithm_oid(pkcs1::ALGORITHM_OID)?;
    if algorithm.parameters_any()? != Null.into() {
        return Err(spki::Error::KeyMalformed);
    }
    Ok(())
}
