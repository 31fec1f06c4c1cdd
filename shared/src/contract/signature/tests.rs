//! Signature verification against fixed vectors and every malformed shape.

use super::*;

// Vectors computed once with Python's `hmac` module, independently of this code:
//   hmac.new(b"whsec_test", b"1767225600." + BODY, sha256).hexdigest()
const BODY: &[u8] = br#"{"type":"test","data":{}}"#;
const T: i64 = 1_767_225_600;
const A_DIGEST: &str = "fca1144be289c5eb367ccd447a86cb46b504e2399e7033bd123bacae3a294539";
const C_DIGEST: &str = "4cf1f9161d218d4ad9e4c6a6a1277598737dea8a8670b14350df610511847423";
const OLD_SECRET_A_DIGEST: &str =
    "9e231b6709d3863613b40d6659078abf9c06ca4c2c4cccc83eb3063ce3b9ff52";

fn verifier(secrets: &[&str], options: VerifierOptions) -> Verifier {
    let secrets = secrets
        .iter()
        .map(|s| SigningSecret::new(s).unwrap())
        .collect();
    Verifier::new(secrets, options).unwrap()
}

fn default_verifier() -> Verifier {
    verifier(&["whsec_test"], VerifierOptions::default())
}

fn sig(signature: &str) -> SignatureHeaders<'_> {
    SignatureHeaders {
        signature: Some(signature),
        timestamp: None,
    }
}

#[test]
fn scheme_a_fixed_vector_verifies() {
    let header = format!("t={T},v1={A_DIGEST}");
    let ok = default_verifier().verify(sig(&header), BODY, T).unwrap();
    assert_eq!(ok.scheme, Scheme::A);
    assert_eq!(ok.timestamp, Some(T));
}

#[test]
fn scheme_b_fixed_vector_verifies() {
    let header = format!("sha256={A_DIGEST}");
    let ts = T.to_string();
    let headers = SignatureHeaders {
        signature: Some(&header),
        timestamp: Some(&ts),
    };
    assert_eq!(
        default_verifier()
            .verify(headers, BODY, T + 5)
            .unwrap()
            .scheme,
        Scheme::B
    );
}

#[test]
fn scheme_c_is_refused_by_default_and_accepted_when_enabled() {
    for header in [format!("sha256={C_DIGEST}"), C_DIGEST.to_string()] {
        assert_eq!(
            default_verifier().verify(sig(&header), BODY, T),
            Err(SignatureError::MissingTimestamp)
        );
        let opts = VerifierOptions {
            allow_untimestamped: true,
            ..Default::default()
        };
        let ok = verifier(&["whsec_test"], opts)
            .verify(sig(&header), BODY, T)
            .unwrap();
        assert_eq!(ok.scheme, Scheme::C);
        assert_eq!(ok.timestamp, None);
    }
}

#[test]
fn sign_reproduces_the_fixed_vectors() {
    let secret = SigningSecret::new("whsec_test").unwrap();
    assert_eq!(
        sign(&secret, Scheme::A, T, BODY),
        vec![("X-Fanfare-Signature", format!("t={T},v1={A_DIGEST}"))]
    );
    assert_eq!(
        sign(&secret, Scheme::C, T, BODY),
        vec![("X-Fanfare-Signature", format!("sha256={C_DIGEST}"))]
    );
}

#[test]
fn any_of_several_secrets_verifies_during_rotation() {
    let v = verifier(&["whsec_new", "whsec_old"], VerifierOptions::default());
    let header = format!("t={T},v1={OLD_SECRET_A_DIGEST}");
    assert!(v.verify(sig(&header), BODY, T).is_ok());
    let v = verifier(&["whsec_new"], VerifierOptions::default());
    assert_eq!(
        v.verify(sig(&header), BODY, T),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn any_of_several_v1_values_verifies_and_unknown_keys_are_ignored() {
    let wrong = "00".repeat(32);
    let header = format!("t={T}, v0=abc, v1={wrong}, v1={A_DIGEST}, x=1");
    assert!(default_verifier().verify(sig(&header), BODY, T).is_ok());
}

#[test]
fn tolerance_is_enforced_in_both_directions() {
    let header = format!("t={T},v1={A_DIGEST}");
    let v = default_verifier();
    assert!(v.verify(sig(&header), BODY, T + 300).is_ok());
    assert!(v.verify(sig(&header), BODY, T - 300).is_ok());
    assert_eq!(
        v.verify(sig(&header), BODY, T + 301),
        Err(SignatureError::TooOld)
    );
    assert_eq!(
        v.verify(sig(&header), BODY, T - 301),
        Err(SignatureError::InFuture)
    );
    let wide = verifier(
        &["whsec_test"],
        VerifierOptions {
            tolerance_secs: 600,
            ..Default::default()
        },
    );
    assert!(wide.verify(sig(&header), BODY, T + 599).is_ok());
}

#[test]
fn tampered_body_or_timestamp_is_a_mismatch() {
    let header = format!("t={T},v1={A_DIGEST}");
    let tampered = br#"{"type":"test","data":{ }}"#;
    assert_eq!(
        default_verifier().verify(sig(&header), tampered, T),
        Err(SignatureError::Mismatch)
    );
    let shifted = format!("t={},v1={A_DIGEST}", T + 1);
    assert_eq!(
        default_verifier().verify(sig(&shifted), BODY, T),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn truncated_empty_or_non_hex_digests_never_match() {
    let v = default_verifier();
    for header in [
        format!("t={T},v1="),
        format!("t={T},v1={}", &A_DIGEST[..62]),
        format!("t={T},v1={A_DIGEST}00"),
        format!("t={T},v1={}", "zz".repeat(32)),
        format!("t={T}"),
        "sha256=".to_string(),
    ] {
        let ts = T.to_string();
        let headers = SignatureHeaders {
            signature: Some(&header),
            timestamp: Some(&ts),
        };
        assert_eq!(
            v.verify(headers, BODY, T),
            Err(SignatureError::Malformed),
            "{header}"
        );
    }
}

#[test]
fn missing_and_malformed_headers_have_distinct_errors() {
    let v = default_verifier();
    assert_eq!(
        v.verify(SignatureHeaders::default(), BODY, T),
        Err(SignatureError::Missing)
    );
    assert_eq!(v.verify(sig("   "), BODY, T), Err(SignatureError::Missing));
    assert_eq!(
        v.verify(sig(&format!("v1={A_DIGEST}")), BODY, T),
        Err(SignatureError::MissingTimestamp)
    );
    assert_eq!(
        v.verify(sig(&format!("t=-5,v1={A_DIGEST}")), BODY, T),
        Err(SignatureError::MalformedTimestamp)
    );
    assert_eq!(
        v.verify(sig(&format!("t=1,t=2,v1={A_DIGEST}")), BODY, T),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn uppercase_hex_is_accepted() {
    let header = format!("t={T},v1={}", A_DIGEST.to_uppercase());
    assert!(default_verifier().verify(sig(&header), BODY, T).is_ok());
}

#[test]
fn bad_secrets_are_configuration_errors_and_debug_redacts() {
    assert_eq!(SigningSecret::new("").unwrap_err(), SecretError::Empty);
    assert_eq!(
        SigningSecret::new("whsec_x\n").unwrap_err(),
        SecretError::Whitespace
    );
    assert_eq!(
        SigningSecret::new(" whsec_x").unwrap_err(),
        SecretError::Whitespace
    );
    assert_eq!(
        Verifier::new(vec![], VerifierOptions::default()).unwrap_err(),
        SecretError::NoneConfigured
    );
    let secret = SigningSecret::new("whsec_supersecret").unwrap();
    assert!(!format!("{secret:?}").contains("supersecret"));
    let v = Verifier::new(vec![secret], VerifierOptions::default()).unwrap();
    assert!(!format!("{v:?}").contains("supersecret"));
}
