//! The template's HMAC KMS key that seals continuations: a MAC over what one invocation hands
//! to the next, which only the function may make or check (the key's policy names its role).
//! Sources: AWS KMS API Reference, GenerateMac and VerifyMac (`Message` 1–4096 bytes; a MAC
//! that does not verify is the error `KMSInvalidMacException`, not `MacValid: false`); AWS KMS
//! Developer Guide, "HMAC keys in AWS KMS".

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::MacAlgorithmSpec;
use aws_sdk_kms::Client;

use crate::error::{is_invalid_mac, Doing, Result};

/// The MAC algorithm of the key (`KeySpec: HMAC_256`).
const ALGORITHM: MacAlgorithmSpec = MacAlgorithmSpec::HmacSha256;

/// The MAC of `message` (at most 4096 bytes) under key `key_id`, as lower-case hex.
pub async fn mac(kms: &Client, key_id: &str, message: &[u8]) -> Result<String> {
    let out = kms
        .generate_mac()
        .key_id(key_id)
        .mac_algorithm(ALGORITHM)
        .message(Blob::new(message))
        .send()
        .await
        .doing(format!("sealing the continuation (KMS key {key_id})"))?;
    let bytes = out.mac().map(Blob::as_ref).unwrap_or_default();
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `mac_hex` is the MAC of `message` under key `key_id`: `Ok(false)` for a MAC that
/// does not verify (or is not hex); errors are AWS's.
pub async fn verify(kms: &Client, key_id: &str, message: &[u8], mac_hex: &str) -> Result<bool> {
    let Some(mac) = from_hex(mac_hex) else {
        return Ok(false);
    };
    let out = kms
        .verify_mac()
        .key_id(key_id)
        .mac_algorithm(ALGORITHM)
        .message(Blob::new(message))
        .mac(Blob::new(mac))
        .send()
        .await
        .doing(format!("checking the continuation (KMS key {key_id})"));
    match out {
        Ok(out) => Ok(out.mac_valid()),
        Err(err) if is_invalid_mac(&err) => Ok(false),
        Err(err) => Err(err),
    }
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    let digits = hex.as_bytes();
    if digits.is_empty() || digits.len() % 2 == 1 {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}
