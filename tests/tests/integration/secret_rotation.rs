//! Secrets that rotate without a cold start: ingest's verifier and the handler's secret read again
//! from Secrets Manager (moto) once their maximum age has passed, and not before.

use std::time::Duration;

use fanfare_integration_tests::{moto_config, unique};
use fanfare_shared::adapters::secrets::refreshing_verifier;
use fanfare_shared::config::HandlerSettings;
use fanfare_shared::contract::headers::DeliveryHeaders;
use fanfare_shared::contract::signature::{
    sign, Scheme, SecretSource, SigningSecret, VerifierOptions,
};

const AGE: Duration = Duration::from_millis(1500);

async fn create_secret(aws: &aws_config::SdkConfig, text: &str) -> String {
    let created = aws_sdk_secretsmanager::Client::new(aws)
        .create_secret()
        .name(unique("rotating"))
        .secret_string(text)
        .send()
        .await
        .unwrap();
    created.arn().unwrap().to_string()
}

async fn rotate(aws: &aws_config::SdkConfig, arn: &str, text: &str) {
    aws_sdk_secretsmanager::Client::new(aws)
        .put_secret_value()
        .secret_id(arn)
        .secret_string(text)
        .send()
        .await
        .unwrap();
}

/// Whether `verifier` accepts a body signed now with `secret`.
fn accepts(verifier: &fanfare_shared::contract::signature::Verifier, secret: &str) -> bool {
    let body = br#"{"id":"evt_rotation"}"#;
    let now = chrono::Utc::now().timestamp();
    let secret = SigningSecret::new(secret).unwrap();
    let signed = sign(&secret, Scheme::A, now, body);
    let sent = DeliveryHeaders::read(|name| {
        signed
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    });
    verifier.verify(sent.signature_headers(), body, now).is_ok()
}

#[tokio::test]
async fn ingest_verifies_with_a_rotated_signing_secret_once_its_age_has_passed() {
    let aws = moto_config().await;
    let arn = create_secret(&aws, "whsec_before_rotation").await;
    let source = SecretSource::SecretsManager {
        secret_id: arn.clone(),
    };
    let verifier = refreshing_verifier(&source, VerifierOptions::default(), &aws, AGE)
        .await
        .unwrap();
    assert!(accepts(&*verifier.get().await, "whsec_before_rotation"));
    rotate(&aws, &arn, r#"["whsec_after_rotation"]"#).await;
    assert!(
        !accepts(&*verifier.get().await, "whsec_after_rotation"),
        "read again before its age"
    );
    tokio::time::sleep(AGE).await;
    let current = verifier.get().await;
    assert!(
        accepts(&current, "whsec_after_rotation"),
        "the rotation was not read"
    );
    assert!(
        !accepts(&current, "whsec_before_rotation"),
        "the old secret was kept"
    );
}

#[tokio::test]
async fn the_handler_secret_follows_a_rotation_and_none_is_none() {
    let aws = moto_config().await;
    let arn = create_secret(&aws, "erp-key-1").await;
    let settings = HandlerSettings {
        secret_arn: Some(arn.clone()),
        secret_max_age: AGE,
        ..HandlerSettings::default()
    };
    let secret = settings.secret(&aws).await.unwrap();
    assert_eq!(secret.get().await.as_deref(), Some("erp-key-1"));
    rotate(&aws, &arn, "erp-key-2").await;
    assert_eq!(secret.get().await.as_deref(), Some("erp-key-1"));
    tokio::time::sleep(AGE).await;
    assert_eq!(secret.get().await.as_deref(), Some("erp-key-2"));

    let without = HandlerSettings::default().secret(&aws).await.unwrap();
    assert_eq!(*without.get().await, None);
    let missing = HandlerSettings {
        secret_arn: Some(format!("{arn}-deleted")),
        ..HandlerSettings::default()
    };
    assert!(
        missing.secret(&aws).await.is_err(),
        "start-up fails on an unreadable secret"
    );
}
