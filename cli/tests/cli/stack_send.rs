//! `send --stack NAME`: the URL from the stack's WebhookUrl output and the secret
//! from its SigningSecretArn, on moto (CloudFormation and Secrets Manager), posting to a local listener
//! that checks the signature as ingest would.
//!
//! Needs MOTO_ENDPOINT (set by `make test`).

use std::process::Command;

use fanfare_shared::contract::signature::{
    SignatureHeaders, SigningSecret, Verifier, VerifierOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CLI: &str = env!("CARGO_BIN_EXE_fanfare-webhooks");

/// Accepts one request; returns (headers lower-cased, body).
async fn one_request(listener: TcpListener) -> (Vec<(String, String)>, Vec<u8>) {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = socket.read(&mut chunk).await.unwrap();
        buf.extend_from_slice(&chunk[..n]);
        let Some(split) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..split]).to_string();
        let headers: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        if buf.len() >= split + 4 + length {
            let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\nconnection: close\r\n\r\n{\"received\":true}";
            socket.write_all(answer.as_bytes()).await.unwrap();
            return (headers, buf[split + 4..split + 4 + length].to_vec());
        }
    }
}

#[tokio::test]
async fn send_to_a_stack_takes_its_url_and_its_secret() {
    let endpoint = std::env::var("MOTO_ENDPOINT").expect("MOTO_ENDPOINT: run with `make test`");
    let config = fanfare_shared::adapters::sdk_defaults()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .endpoint_url(&endpoint)
        .load()
        .await;
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..10];
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(format!("signing-{suffix}"))
        .secret_string(r#"["whsec_stack_new","whsec_stack_old"]"#)
        .send()
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/fanfare", listener.local_addr().unwrap());
    let template = serde_json::json!({
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "WebhookUrl": {"Value": url},
            "SigningSecretArn": {"Value": secret.arn().unwrap()},
        },
    });
    let stack = format!("brand-{suffix}");
    aws_sdk_cloudformation::Client::new(&config)
        .create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/http/order_paid_scheme_a_200.json"
    );
    let server = tokio::spawn(one_request(listener));
    let cli = tokio::task::spawn_blocking(move || {
        Command::new(CLI)
            .args([
                "--endpoint-url",
                &endpoint,
                "--stack",
                &stack,
                "send",
                fixture,
            ])
            .env_remove("FANFARE_WEBHOOK_URL")
            .env_remove("FANFARE_SIGNING_SECRET")
            .output()
            .unwrap()
    });
    let (headers, body) = server.await.unwrap();
    let out = cli.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    // Signed with the newest secret of the rotation, as Fanfare would after switching.
    let verifier = Verifier::new(
        vec![SigningSecret::new("whsec_stack_new").unwrap()],
        VerifierOptions::default(),
    )
    .unwrap();
    let signed = SignatureHeaders {
        signature: header("x-fanfare-signature"),
        timestamp: header("x-fanfare-timestamp"),
    };
    verifier
        .verify(signed, &body, chrono::Utc::now().timestamp())
        .expect("signed with the stack's secret");
}
