//! The test keys in the other encodings a loader accepts or an attacker
//! tries (PKCS#1, SPKI DER, bare modulus and exponent), converted with the
//! DER crates and aws-lc directly, independently of the code under test.

use aws_lc_rs::rsa::{KeyPair, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use pkcs8::der::asn1::BitStringRef;
use pkcs8::der::pem::LineEnding;
use pkcs8::der::{Decode, Document};
use pkcs8::{PrivateKeyInfo, SubjectPublicKeyInfoRef};

/// The DER inside a PEM text.
pub fn pem_der(pem: &str) -> Vec<u8> {
    Document::from_pem(pem).unwrap().1.as_bytes().to_vec()
}

/// The same private key as PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`).
pub fn pkcs1_private_pem(pkcs8_pem: &str) -> String {
    let der = pem_der(pkcs8_pem);
    let info = PrivateKeyInfo::from_der(&der).unwrap();
    info.algorithm
        .assert_algorithm_oid(pkcs1::ALGORITHM_OID)
        .unwrap();
    Document::try_from(info.private_key)
        .unwrap()
        .to_pem("RSA PRIVATE KEY", LineEnding::LF)
        .unwrap()
}

/// The PKCS#1 `RSAPublicKey` DER inside an SPKI PEM.
pub fn pkcs1_public_der(spki_pem: &str) -> Vec<u8> {
    let der = pem_der(spki_pem);
    let info = SubjectPublicKeyInfoRef::from_der(&der).unwrap();
    info.algorithm
        .assert_algorithm_oid(pkcs1::ALGORITHM_OID)
        .unwrap();
    info.subject_public_key.as_bytes().unwrap().to_vec()
}

/// The same public key as PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`).
pub fn pkcs1_public_pem(spki_pem: &str, line_ending: LineEnding) -> String {
    Document::try_from(pkcs1_public_der(spki_pem))
        .unwrap()
        .to_pem("RSA PUBLIC KEY", line_ending)
        .unwrap()
}

/// `(n, e)` of an SPKI PEM, big-endian without leading zeros.
pub fn public_components(spki_pem: &str) -> (Vec<u8>, Vec<u8>) {
    let der = pkcs1_public_der(spki_pem);
    let key = pkcs1::RsaPublicKey::from_der(&der).unwrap();
    (
        key.modulus.as_bytes().to_vec(),
        key.public_exponent.as_bytes().to_vec(),
    )
}

/// `(n, e)` of a PKCS#8 PEM that aws-lc accepts as a consistent RSA key.
pub fn private_components(pkcs8_pem: &str) -> (Vec<u8>, Vec<u8>) {
    let pair = KeyPair::from_pkcs8(&pem_der(pkcs8_pem)).unwrap();
    let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    (components.n, components.e)
}

/// The SPKI PEM of a PKCS#8 PEM's public half, read from the structure
/// alone (no check of the key, so any size will do).
pub fn public_half_pem(pkcs8_pem: &str) -> String {
    let der = pem_der(pkcs8_pem);
    let info = PrivateKeyInfo::from_der(&der).unwrap();
    let key = pkcs1::RsaPrivateKey::from_der(info.private_key).unwrap();
    spki_pem(key.modulus.as_bytes(), key.public_exponent.as_bytes())
}

/// An SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of the key `(n, e)`.
pub fn spki_pem(n: &[u8], e: &[u8]) -> String {
    let pkcs1 = Document::encode_msg(&pkcs1::RsaPublicKey {
        modulus: pkcs1::UintRef::new(n).unwrap(),
        public_exponent: pkcs1::UintRef::new(e).unwrap(),
    })
    .unwrap();
    let spki = SubjectPublicKeyInfoRef {
        algorithm: pkcs1::ALGORITHM_ID,
        subject_public_key: BitStringRef::new(0, pkcs1.as_bytes()).unwrap(),
    };
    Document::encode_msg(&spki)
        .unwrap()
        .to_pem("PUBLIC KEY", LineEnding::LF)
        .unwrap()
}

/// The size of a big-endian modulus in bits.
pub fn bits(n: &[u8]) -> usize {
    n.len() * 8 - n[0].leading_zeros() as usize
}
