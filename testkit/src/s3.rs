//! ResponseURLs as CloudFormation makes them: presigned S3 PUTs (here, to moto), whose keys
//! carry `%3A` and `%7C` escapes; and reading the response back with a presigned GET.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use serde_json::Value;

use super::{moto, REGION};

pub const BUCKET: &str = "cloudformation-custom-resource-response-local";

/// The presigned PUT URL CloudFormation would send for this request.
pub fn response_url(stack_id: &str, logical_id: &str, request_id: &str) -> String {
    presign("PUT", &object_url(stack_id, logical_id, request_id))
}

fn object_url(stack_id: &str, logical_id: &str, request_id: &str) -> String {
    let key = format!("{stack_id}|{logical_id}|{request_id}")
        .replace(':', "%3A")
        .replace('|', "%7C");
    format!("{}/{BUCKET}/{key}", moto::endpoint())
}

/// Signs `url` for `method` with SigV4 in the query string, as S3 presigning does.
pub fn presign(method: &str, url: &str) -> String {
    let identity = Credentials::new("test", "test", None, None, "tests").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(7200));
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        std::iter::empty(),
        SignableBody::UnsignedPayload,
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut request = http::Request::builder()
        .method(method)
        .uri(url)
        .body(())
        .expect("request");
    instructions.apply_to_request_http1x(&mut request);
    request.uri().to_string()
}

/// Makes the response bucket (once per moto server).
pub async fn ensure_bucket() {
    static MADE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    MADE.get_or_init(|| async {
        let url = presign("PUT", &format!("{}/{BUCKET}", moto::endpoint()));
        let status = prod_e::aws::http_client_builder()
            .build()
            .expect("http client")
            .put(url)
            .header("content-length", "0")
            .body(Vec::<u8>::new())
            .send()
            .await
            .expect("create bucket")
            .status();
        assert!(status.is_success(), "create bucket: {status}");
    })
    .await;
}

/// The response PUT to `put_url`, read back from S3 with a presigned GET; `None` if nothing arrived.
pub async fn read_response(put_url: &str) -> Option<Value> {
    if !put_url.starts_with(&format!("{}/{BUCKET}/", moto::endpoint())) {
        return None;
    }
    let object = put_url.split('?').next()?.to_string();
    let got = prod_e::aws::http_client_builder()
        .build()
        .expect("http client")
        .get(presign("GET", &object))
        .send()
        .await
        .ok()?;
    if !got.status().is_success() {
        return None;
    }
    serde_json::from_slice(&got.bytes().await.ok()?).ok()
}
